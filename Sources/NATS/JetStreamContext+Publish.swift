internal import CNATS

extension JetStreamContext {
    /// Publishes without waiting for the ack; `waitForPublishes` later reports the outcome.
    ///
    /// Blocks briefly (at most `options.publishStallWait`) only when
    /// `options.maxPendingAsyncPublishes` publishes are already in flight; publish in windows
    /// no larger than that to never block.
    ///
    /// - Parameters:
    ///   - messageID: sent as `Nats-Msg-Id`; the server drops a repeat within the stream's
    ///     duplicate window and acks it as a duplicate with the original sequence.
    ///   - expectedLastSequence: sent as `Nats-Expected-Last-Sequence`; the server refuses the
    ///     message with `.wrongLastSequence` unless the stream's last sequence is exactly this.
    ///     0 means "the stream is empty".
    public func publishAsync(
        subject: String,
        payload: [UInt8],
        headers: [String: String] = [:],
        messageID: String? = nil,
        expectedLastSequence: UInt64? = nil
    ) throws {
        try publishAsync(
            subject: subject, payload: payload, headerFields: headers.map { ($0.key, $0.value) },
            messageID: messageID, expectedLastSequence: expectedLastSequence
        )
    }

    /// `publishAsync(subject:payload:headers:messageID:expectedLastSequence:)` with the
    /// headers as a list, set in order: the path for publishers that send many messages a
    /// second, which then build no dictionary per message.
    public func publishAsync(
        subject: String,
        payload: [UInt8],
        headerFields: [(name: String, value: String)],
        messageID: String? = nil,
        expectedLastSequence: UInt64? = nil
    ) throws {
        guard !connection.isClosed else { throw NATSError.connectionClosed() }
        let context = try handle.context()
        let message = try makeMessage(
            subject: subject, payload: payload, headerFields: headerFields,
            messageID: messageID, expectedLastSequence: expectedLastSequence
        )
        let key = UInt(bitPattern: message)
        handle.tracker.register(key, subject: subject, messageID: messageID)
        // On success libnats takes the message and clears `owned`; the ack handler frees it.
        var owned: OpaquePointer? = message
        let status = js_PublishMsgAsync(context, &owned, nil)
        guard status == NATS_OK else {
            let error = NATSError(status: status, while: "publishing asynchronously to \(subject)")
            handle.tracker.forget(key)
            natsMsg_Destroy(owned)
            throw error
        }
    }

    /// Waits until every async publish so far is acked or failed, up to `timeout`, and returns
    /// what happened to each since the previous call, in publish order.
    ///
    /// Publishes still unanswered at the deadline are given up on and reported as failures
    /// (`.timeout`, or `.permissionDenied` when the server refused their subject); they may
    /// or may not have been stored.
    public func waitForPublishes(timeout: Duration) async throws -> PublishBatchResult {
        let handle = handle
        let connection = connection
        try await connection.runBlocking {
            let context = try handle.context()
            var options = jsPubOptions()
            jsPubOptions_Init(&options)
            options.MaxWait = timeout.timeoutMilliseconds
            let status = js_PublishAsyncComplete(context, &options)
            if status == NATS_TIMEOUT {
                Self.giveUpOnPending(context: context, tracker: handle.tracker, connection: connection, timeout: timeout)
            } else {
                try check(status, while: "waiting for async publish acks")
            }
        }
        return handle.tracker.takeResults()
    }

    /// Takes the unanswered publishes back from libnats and records each as failed.
    private static func giveUpOnPending(
        context: OpaquePointer,
        tracker: PublishTracker,
        connection: NATSConnection,
        timeout: Duration
    ) {
        var pending = natsMsgList()
        guard js_PublishAsyncGetPendingList(&pending, context) == NATS_OK else { return }
        defer { natsMsgList_Destroy(&pending) }
        for index in 0..<Int(pending.Count) {
            guard let message = pending.Msgs[index] else { continue }
            let key = UInt(bitPattern: message)
            let subject = tracker.subject(of: key) ?? optionalString(natsMsg_GetSubject(message)) ?? ""
            if let violation = connection.permissionViolation(since: 0, matching: .publish(subject)) {
                tracker.failed(key, error: .permissionDenied(violation))
            } else {
                tracker.failed(
                    key,
                    error: NATSError(
                        code: .timeout,
                        message: "no publish ack within \(timeout)",
                        natsStatusText: "Timeout",
                        subject: subject
                    )
                )
            }
        }
    }

    /// Publishes and waits for the ack: one round trip.
    ///
    /// Throws `.wrongLastSequence` when `expectedLastSequence` does not match. A repeated
    /// `messageID` returns `duplicate == true` with the original sequence (the server checks
    /// the id before the expected sequence, so a retry is safe).
    public func publish(
        subject: String,
        payload: [UInt8],
        headers: [String: String] = [:],
        messageID: String? = nil,
        expectedLastSequence: UInt64? = nil
    ) async throws -> PublishAck {
        let fields = headers.map { (name: $0.key, value: $0.value) }
        return try await perform(.publish(subject)) { context in
            let message = try makeMessage(
                subject: subject, payload: payload, headerFields: fields,
                messageID: messageID, expectedLastSequence: expectedLastSequence
            )
            defer { natsMsg_Destroy(message) }
            var ack: UnsafeMutablePointer<jsPubAck>?
            var jsError = jsErrCode(0)
            let status = js_PublishMsg(&ack, context, message, nil, &jsError)
            try check(status, jsError: jsError, while: "publishing to \(subject)")
            defer { jsPubAck_Destroy(ack) }
            guard let ack else { throw NATSError(code: .other, message: "js_PublishMsg returned no ack") }
            return PublishAck(
                stream: optionalString(ack.pointee.Stream) ?? "",
                sequence: ack.pointee.Sequence,
                duplicate: ack.pointee.Duplicate,
                messageID: messageID
            )
        }
    }
}

internal import CNATS

extension NATSConnection {
    /// Publishes on core NATS: at most once, no ack. Buffered and sent by libnats' flusher;
    /// `flush` waits until the server has it.
    ///
    /// A subject this user may not publish to is dropped by the server, which reports it
    /// asynchronously as a `.permissionDenied` event on `events`.
    public func publish(subject: String, payload: [UInt8], headers: [String: String] = [:]) throws {
        guard !isClosed else { throw NATSError.connectionClosed() }
        if headers.isEmpty {
            let status = payload.withUnsafeBytes { bytes in
                natsConnection_Publish(raw, subject, bytes.baseAddress, Int32(bytes.count))
            }
            try check(status, while: "publishing to \(subject)")
        } else {
            let message = try makeMessage(subject: subject, payload: payload, headers: headers)
            defer { natsMsg_Destroy(message) }
            try check(natsConnection_PublishMsg(raw, message), while: "publishing to \(subject)")
        }
    }

    /// Waits until the server has processed everything published so far.
    public func flush(timeout: Duration) async throws {
        try await runBlocking {
            try check(natsConnection_FlushTimeout(self.raw, timeout.timeoutMilliseconds), while: "flushing")
        }
    }

    /// Sends a request and waits for the first reply: `.noResponders` when nobody listens,
    /// `.permissionDenied` when this user may not publish to `subject`, else `.timeout`.
    public func request(
        subject: String,
        payload: [UInt8],
        headers: [String: String] = [:],
        timeout: Duration
    ) async throws -> NATSMessage {
        try await explainingPermissionDenials(.publish(subject)) {
            try await runBlocking {
                let message = try makeMessage(subject: subject, payload: payload, headers: headers)
                defer { natsMsg_Destroy(message) }
                var reply: OpaquePointer?
                let status = natsConnection_RequestMsg(&reply, self.raw, message, timeout.timeoutMilliseconds)
                try check(status, while: "requesting \(subject)")
                guard let reply else { throw NATSError(code: .other, message: "the request returned no reply") }
                defer { natsMsg_Destroy(reply) }
                return NATSMessage(copying: reply)
            }
        }
    }
}

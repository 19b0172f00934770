internal import CNATS

extension JetStreamContext {
    /// Creates a stream. Creating one that exists with the same configuration succeeds;
    /// with a different one it throws `.streamNameInUse`.
    public func createStream(_ config: StreamConfiguration) async throws -> StreamInfo {
        try await configureStream(config, "creating", subject: "$JS.API.STREAM.CREATE.\(config.name)") {
            js_AddStream($0, $1, $2, nil, $3)
        }
    }

    /// Changes a stream's configuration, where the server allows it (limits, not storage).
    public func updateStream(_ config: StreamConfiguration) async throws -> StreamInfo {
        try await configureStream(config, "updating", subject: "$JS.API.STREAM.UPDATE.\(config.name)") {
            js_UpdateStream($0, $1, $2, nil, $3)
        }
    }

    private func configureStream(
        _ config: StreamConfiguration,
        _ verb: String,
        subject: String,
        _ call: @escaping @Sendable (
            UnsafeMutablePointer<UnsafeMutablePointer<jsStreamInfo>?>,
            OpaquePointer,
            UnsafeMutablePointer<jsStreamConfig>,
            UnsafeMutablePointer<jsErrCode>
        ) -> natsStatus
    ) async throws -> StreamInfo {
        try await perform(.jetStreamAPI(stream: config.name, subject: subject)) { context in
            try withCArena { arena throws(NATSError) in
                var cConfig = config.cConfig(in: arena)
                var info: UnsafeMutablePointer<jsStreamInfo>?
                var jsError = jsErrCode(0)
                let status = call(&info, context, &cConfig, &jsError)
                try check(status, jsError: jsError, while: "\(verb) stream \(config.name)")
                return try Self.adopt(info)
            }
        }
    }

    /// The stream's configuration and state; `.streamNotFound` when it does not exist.
    public func streamInfo(name: String) async throws -> StreamInfo {
        try await perform(.jetStreamAPI(stream: name, subject: "$JS.API.STREAM.INFO.\(name)")) { context in
            var info: UnsafeMutablePointer<jsStreamInfo>?
            var jsError = jsErrCode(0)
            let status = js_GetStreamInfo(&info, context, name, nil, &jsError)
            try check(status, jsError: jsError, while: "reading stream info of \(name)")
            return try Self.adopt(info)
        }
    }

    /// Deletes a stream and its consumers; `.streamNotFound` when it does not exist.
    public func deleteStream(name: String) async throws {
        try await perform(.jetStreamAPI(stream: name, subject: "$JS.API.STREAM.DELETE.\(name)")) { context in
            var jsError = jsErrCode(0)
            let status = js_DeleteStream(context, name, nil, &jsError)
            try check(status, jsError: jsError, while: "deleting stream \(name)")
        }
    }

    /// The message stored at `sequence`; `.notFound` when there is none (never written,
    /// deleted, or aged out).
    public func getMessage(stream: String, sequence: UInt64) async throws -> StoredMessage {
        try await perform(.jetStreamAPI(stream: stream, subject: "$JS.API.STREAM.MSG.GET.\(stream)")) { context in
            var message: OpaquePointer?
            var jsError = jsErrCode(0)
            let status = js_GetMsg(&message, context, stream, sequence, nil, &jsError)
            try check(status, jsError: jsError, while: "reading message \(sequence) of stream \(stream)")
            guard let message else { throw NATSError(code: .notFound, message: "no message \(sequence) in \(stream)") }
            defer { natsMsg_Destroy(message) }
            return StoredMessage(copying: message)
        }
    }

    private static func adopt(_ info: UnsafeMutablePointer<jsStreamInfo>?) throws(NATSError) -> StreamInfo {
        guard let info else { throw NATSError(code: .other, message: "the server returned no stream info") }
        defer { jsStreamInfo_Destroy(info) }
        return StreamInfo(info)
    }
}

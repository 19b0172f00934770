/// Settings for a `JetStreamContext`.
public struct JetStreamOptions: Sendable, Hashable {
    /// How long one JetStream API request or synchronous publish waits for its answer.
    /// Default 5 s.
    public var requestTimeout: Duration
    /// Async publishes allowed in flight before `publishAsync` waits for acks. Default 4096.
    public var maxPendingAsyncPublishes: Int
    /// How long `publishAsync` may wait for room when `maxPendingAsyncPublishes` are in flight
    /// before it throws `.timeout`. Default 1 s.
    public var publishStallWait: Duration

    public init(
        requestTimeout: Duration = .seconds(5),
        maxPendingAsyncPublishes: Int = 4096,
        publishStallWait: Duration = .seconds(1)
    ) {
        self.requestTimeout = requestTimeout
        self.maxPendingAsyncPublishes = maxPendingAsyncPublishes
        self.publishStallWait = publishStallWait
    }
}

/// JetStream on one connection: streams, publishing with acks, consumers, key-value.
///
/// Every call that waits for the server runs on the connection's thread pool. A call the
/// server silently refuses for lack of permission throws `.permissionDenied`, not `.timeout`.
public struct JetStreamContext: Sendable {
    let connection: NATSConnection
    let handle: JetStreamHandle

    init(connection: NATSConnection, handle: JetStreamHandle) {
        self.connection = connection
        self.handle = handle
    }

    public var options: JetStreamOptions { handle.options }

    /// Runs a blocking call with the `jsCtx` on the thread pool. A failure is reported as
    /// `.permissionDenied` when the server denied a subject described by `match` meanwhile.
    func perform<T: Sendable>(
        _ match: ViolationMatch,
        _ body: @escaping @Sendable (OpaquePointer) throws -> T
    ) async throws -> T {
        let handle = handle
        let connection = connection
        return try await connection.explainingPermissionDenials(match) {
            try await connection.runBlocking { try body(handle.context()) }
        }
    }
}

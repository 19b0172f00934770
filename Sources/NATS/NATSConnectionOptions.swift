/// How a `NATSConnection` connects, reconnects and runs its blocking calls.
public struct NATSConnectionOptions: Sendable {
    /// Reconnect attempts after a lost connection; -1 (the default) retries forever.
    public var maxReconnectAttempts: Int
    /// Pause between reconnect attempts to the same server. Default 2 s.
    public var reconnectWait: Duration
    /// Keep trying when the very first connect fails, using the reconnect settings, instead
    /// of failing at once. `connect` then returns only once connected or out of attempts.
    /// Default `false`: a wrong URL or password should fail fast.
    public var retryOnFailedConnect: Bool
    /// How long one connect attempt may take. Default 2 s.
    public var connectTimeout: Duration
    /// Threads for blocking libnats calls (JetStream requests, fetch, watch, key-value).
    /// Each concurrent blocking call holds one. Default 8.
    public var blockingThreads: Int

    public init(
        maxReconnectAttempts: Int = -1,
        reconnectWait: Duration = .seconds(2),
        retryOnFailedConnect: Bool = false,
        connectTimeout: Duration = .seconds(2),
        blockingThreads: Int = 8
    ) {
        self.maxReconnectAttempts = maxReconnectAttempts
        self.reconnectWait = reconnectWait
        self.retryOnFailedConnect = retryOnFailedConnect
        self.connectTimeout = connectTimeout
        self.blockingThreads = blockingThreads
    }
}

/// Something that happened to a connection after it was established.
public enum NATSConnectionEvent: Sendable {
    case disconnected
    case reconnected
    /// Closed for good: by `close()`, or after the reconnect attempts ran out.
    case closed
    /// An asynchronous error, e.g. a permissions violation or a slow consumer.
    case error(NATSError)
}

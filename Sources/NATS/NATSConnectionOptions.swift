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
    /// The prefix of this connection's inboxes, where every reply comes back: JetStream API
    /// answers, pull-consumer deliveries, key-value watches and async-publish acks
    /// (libnats 3.4.1 derives all of them from it). The server lets each user subscribe to
    /// its own prefix only, so no user reads another's replies.
    /// nil (the default): `_INBOX_<user>` for the user the URL names (`inboxPrefix(forURL:)`),
    /// or libnats' shared `_INBOX` when it names none.
    public var inboxPrefix: String?

    public init(
        maxReconnectAttempts: Int = -1,
        reconnectWait: Duration = .seconds(2),
        retryOnFailedConnect: Bool = false,
        connectTimeout: Duration = .seconds(2),
        blockingThreads: Int = 8,
        inboxPrefix: String? = nil
    ) {
        self.maxReconnectAttempts = maxReconnectAttempts
        self.reconnectWait = reconnectWait
        self.retryOnFailedConnect = retryOnFailedConnect
        self.connectTimeout = connectTimeout
        self.blockingThreads = blockingThreads
        self.inboxPrefix = inboxPrefix
    }

    /// The inbox prefix of a connection to `url` whose options leave `inboxPrefix` nil:
    /// `_INBOX_<user>` for the user of the URL (the first, for a list), nil when it names
    /// none (a token, or no credentials). `ops/nats/nats-server.conf` lets each user
    /// subscribe to exactly that prefix.
    public static func inboxPrefix(forURL url: String) -> String? {
        guard let first = url.split(separator: ",").first, let at = first.lastIndex(of: "@") else { return nil }
        let start = first.firstRange(of: "://")?.upperBound ?? first.startIndex
        let credentials = first[start..<at]
        guard credentials.contains(":"), let user = credentials.split(separator: ":", maxSplits: 1).first, !user.isEmpty else {
            return nil
        }
        return "_INBOX_" + user
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

/// A message sent with `NOTIFY` or `pg_notify`.
public struct PostgresNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
    /// The server process of the session that sent it.
    public var processID: Int32

    public init(channel: String, payload: String, processID: Int32) {
        self.channel = channel
        self.payload = payload
        self.processID = processID
    }
}

/// Notifications on the channels a connection listens to, in the order the server sent them.
///
/// Iteration ends (returns `nil`) shortly after the iterating task is cancelled, and throws
/// `.connectionClosed` if the connection is lost or closed.
public struct PostgresNotificationSequence: AsyncSequence, Sendable {
    public typealias Element = PostgresNotification

    let connection: PostgresConnection

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(connection: connection)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        /// Short enough that cancellation is noticed promptly, long enough that an idle listener
        /// costs next to nothing.
        static let pollSlice: Int32 = 200

        let connection: PostgresConnection
        private var pending: [PostgresNotification] = []

        init(connection: PostgresConnection) {
            self.connection = connection
        }

        public mutating func next() async throws -> PostgresNotification? {
            while pending.isEmpty {
                if Task.isCancelled { return nil }
                do {
                    // Waiting runs no statement: a cancel request would find the session idle.
                    pending = try await connection.run(query: nil, cancelsOnServer: false) {
                        try $0.waitForNotifications(timeout: Self.pollSlice)
                    }
                } catch let error as PostgresError where error.code == .queryCanceled {
                    return nil
                }
            }
            return pending.removeFirst()
        }
    }
}

extension PostgresConnection {
    /// Starts listening on `channels` (exact names, no case folding) and returns their notifications.
    ///
    /// Dedicate the connection to listening: notifications are only read while the sequence is
    /// iterated, and each wait occupies the connection's thread for a short slice.
    public func listen(to channels: [String]) async throws -> PostgresNotificationSequence {
        for channel in channels {
            try await simpleQuery("LISTEN " + PostgresQuery.quoteIdentifier(channel))
        }
        return PostgresNotificationSequence(connection: self)
    }

    /// Sends a notification; listeners receive it when the current transaction commits.
    public func notify(channel: String, payload: String) async throws {
        try await query("SELECT pg_notify(\(channel), \(payload))")
    }
}

import Postgres

/// Whether the fan-out is publishing, as the relay last recorded it in `relay_status`.
///
/// The relay writes it on every change of state, in Postgres rather than in memory, so that
/// readiness in any process (an API that runs without the relay) reports a halted fan-out,
/// and so that it outlives the relay that found the problem.
public struct FanoutStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        /// The stream is the log's prefix; the relay publishes the rest.
        case publishing
        /// The stream contradicts the log; nothing is published until it is rebuilt.
        case halted
    }

    public var state: State
    /// The relay's error code when halted (`stream_ahead`, `stream_diverged`, ...).
    public var code: String?
    public var message: String?

    public init(state: State, code: String? = nil, message: String? = nil) {
        self.state = state
        self.code = code
        self.message = message
    }

    public static let publishing = FanoutStatus(state: .publishing)

    public static func halted(_ error: RelayError) -> FanoutStatus {
        FanoutStatus(state: .halted, code: error.code.rawValue, message: error.message)
    }

    /// The recorded status; nil before any relay ran against this schema.
    public static func read(on executor: some PostgresExecutor) async throws -> FanoutStatus? {
        guard let row = try await executor.query("SELECT state, code, message FROM relay_status").first else { return nil }
        return FanoutStatus(
            state: State(rawValue: try row.decode(String.self, at: 0)) ?? .halted,
            code: try row.decode(String?.self, at: 1), message: try row.decode(String?.self, at: 2)
        )
    }

    /// Records this status; a row already saying the same is left alone (and keeps its `since`).
    func record(on executor: some PostgresExecutor) async throws {
        try await executor.query(
            """
            INSERT INTO relay_status (state, code, message) VALUES (\(state.rawValue), \(code), \(message))
            ON CONFLICT (singleton) DO UPDATE SET state = excluded.state, code = excluded.code, message = excluded.message, since = now()
            WHERE (relay_status.state, relay_status.code, relay_status.message) IS DISTINCT FROM (excluded.state, excluded.code, excluded.message)
            """
        )
    }
}

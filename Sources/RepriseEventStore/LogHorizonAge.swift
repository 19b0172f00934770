import Postgres

/// How far the log's visibility horizon lags behind now.
///
/// Followers (the relay, catch-up reads) take only rows below the horizon, the oldest
/// transaction id still running. One transaction left open anywhere in the cluster holds it
/// back for all of them: nothing that commits after it can be read until it ends.
public struct LogHorizonAge: Sendable, Equatable {
    /// Seconds since the oldest transaction that holds a transaction id began; 0 if none runs.
    /// Sessions of other roles count only if this role may see them (`pg_monitor`, or superuser).
    public var seconds: Double
    /// Transaction ids assigned since the horizon: how much has happened behind it.
    public var transactions: Int

    public init(seconds: Double, transactions: Int) {
        self.seconds = seconds
        self.transactions = transactions
    }

    /// Reads it in one statement that takes no transaction id of its own.
    public static func read(on executor: some PostgresExecutor) async throws -> LogHorizonAge {
        let rows = try await executor.execute(statement, [])
        guard let row = rows.first else { return LogHorizonAge(seconds: 0, transactions: 0) }
        return LogHorizonAge(seconds: max(0, try row.decode(Double.self, at: 0)), transactions: max(0, try row.decode(Int.self, at: 1)))
    }

    static let statement = PostgresPreparedStatement(
        name: "reprise_log_horizon_age",
        sql: """
            SELECT
                (SELECT coalesce(extract(epoch FROM clock_timestamp() - min(xact_start)), 0)::float8
                   FROM pg_stat_activity WHERE backend_xid IS NOT NULL),
                pg_snapshot_xmax(s)::text::int8 - pg_snapshot_xmin(s)::text::int8
            FROM pg_current_snapshot() AS s
            """
    )
}

import Logging
import Postgres
import RepriseAPI
import RepriseMigrations
import RepriseRelay

/// Ready means PostgreSQL answers and every migration this build knows is applied. A relay
/// halted on a stream that contradicts the log (recorded in `relay_status`, whichever
/// process runs it) makes the fan-out degraded: commands are still accepted.
struct PostgresReadiness: Sendable {
    let pool: PostgresConnectionPool
    let runner: MigrationRunner

    init(pool: PostgresConnectionPool, migrations: [Migration], logger: Logger) {
        self.pool = pool
        self.runner = MigrationRunner(migrations: migrations, logger: logger)
    }

    func readiness() async -> Readiness {
        let report: Readiness? = try? await pool.withConnection { connection in
            guard try await runner.status(on: connection).isCurrent else { return .notReady }
            guard let fanout = try await FanoutStatus.read(on: connection), fanout.state == .halted else { return .ready }
            return Readiness(isReady: true, degraded: ["fanout": fanout.code ?? "halted"])
        }
        return report ?? .notReady
    }
}

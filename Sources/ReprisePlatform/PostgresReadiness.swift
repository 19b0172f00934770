import Logging
import Postgres
import RepriseMigrations

/// Ready means PostgreSQL answers and every migration this build knows is applied.
struct PostgresReadiness: Sendable {
    let pool: PostgresConnectionPool
    let runner: MigrationRunner

    init(pool: PostgresConnectionPool, migrations: [Migration], logger: Logger) {
        self.pool = pool
        self.runner = MigrationRunner(migrations: migrations, logger: logger)
    }

    func isReady() async -> Bool {
        (try? await pool.withConnection { try await runner.status(on: $0).isCurrent }) ?? false
    }
}

import Foundation
import Logging
import Postgres
import RepriseMigrations

/// A schema of one test's own, with the repository's migrations applied, and a pool whose
/// connections use it. Tests run in parallel against one server; schemas keep them apart.
public struct MigratedDatabase: Sendable {
    public let schema: String
    public let url: String
    public let logger: Logger
    /// The server's URL without a search path: where the schema is created and dropped.
    public let serverURL: String

    /// The repository's `migrations/` folder, found from this file's place in the tree.
    public static var repositoryMigrations: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("migrations").path
    }

    /// Creates and migrates a fresh schema, runs `body` with a pool on it, then drops it.
    /// `serverURL` picks the server (the shared test server unless a test runs its own).
    public static func with<R: Sendable>(
        serverURL: String = TestEnvironment.postgresURL,
        maxConnections: Int = 8,
        _ body: (PostgresConnectionPool, MigratedDatabase) async throws -> R
    ) async throws -> R {
        // Warnings and worse only: the API tests alone log thousands of request lines.
        var logger = Logger(label: "test.database")
        logger.logLevel = .warning
        let schema = TestEnvironment.uniqueName("test")
        let database = MigratedDatabase(
            schema: schema, url: TestEnvironment.postgresURL(serverURL, searchPath: schema), logger: logger, serverURL: serverURL
        )
        try await database.withConnection(url: serverURL) { try await $0.simpleQuery("CREATE SCHEMA \(schema)") }
        do {
            try await database.withConnection(url: database.url) { connection in
                let runner = MigrationRunner(migrations: try Migration.load(from: repositoryMigrations), logger: logger)
                try await runner.migrate(on: connection)
            }
            let result = try await PostgresConnectionPool.withPool(
                configuration: PostgresConfiguration(url: database.url), maxConnections: maxConnections, logger: logger
            ) { pool in
                try await body(pool, database)
            }
            try await database.drop()
            return result
        } catch {
            try? await database.drop()
            throw error
        }
    }

    /// A connection of its own on this schema, closed after `body`.
    public func withConnection<R: Sendable>(_ body: (PostgresConnection) async throws -> sending R) async throws -> sending R {
        try await withConnection(url: url, body)
    }

    private func withConnection<R: Sendable>(url: String, _ body: (PostgresConnection) async throws -> sending R) async throws -> sending R {
        try await PostgresConnection.withConnection(PostgresConfiguration(url: url), logger: logger, body)
    }

    private func drop() async throws {
        try await withConnection(url: serverURL) { try await $0.simpleQuery("DROP SCHEMA \(schema) CASCADE") }
    }
}

import Logging
import Postgres
import RepriseTestSupport

/// Connections to the test server; every test works in a schema or temp table of its own.
enum TestDatabase {
    static let logger = Logger(label: "reprise.postgres.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    static var configuration: PostgresConfiguration {
        PostgresConfiguration(url: TestEnvironment.postgresURL, applicationName: "reprise-tests")
    }

    static func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration, logger: logger)
    }

    /// A connection for `body`, closed afterwards whatever happens.
    @discardableResult
    static func withConnection<R: Sendable>(_ body: (PostgresConnection) async throws -> sending R) async throws -> sending R {
        try await PostgresConnection.withConnection(configuration, logger: logger, body)
    }

    /// A pool around `body`, shut down afterwards.
    @discardableResult
    static func withPool<R: Sendable>(maxConnections: Int, _ body: (PostgresConnectionPool) async throws -> sending R) async throws -> sending R {
        try await PostgresConnectionPool.withPool(configuration: configuration, maxConnections: maxConnections, logger: logger, body)
    }

    /// A fresh schema for `body`, dropped afterwards.
    static func withSchema<R: Sendable>(_ body: (PostgresConnection, String) async throws -> R) async throws -> R {
        try await withConnection { connection in
            let schema = TestEnvironment.uniqueName("pgtest")
            try await connection.query("CREATE SCHEMA \(identifier: schema)")
            do {
                let result = try await body(connection, schema)
                try await dropSchema(schema)
                return result
            } catch {
                try? await dropSchema(schema)
                throw error
            }
        }
    }

    /// On a connection of its own: the test's connection may be the one that broke.
    private static func dropSchema(_ schema: String) async throws {
        try await withConnection { try await $0.query("DROP SCHEMA \(identifier: schema) CASCADE") }
    }
}

/// A one-shot signal between tasks, so tests wait for events instead of sleeping.
final class Checkpoint: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream()
    }

    func signal() {
        continuation.yield()
        continuation.finish()
    }

    func wait() async {
        for await _ in stream { return }
    }
}

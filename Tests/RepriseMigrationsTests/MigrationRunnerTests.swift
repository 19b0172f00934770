import Foundation
import Logging
import Postgres
import RepriseMigrations
import RepriseTestSupport
import Testing

/// A schema of its own and a folder of migration files, both removed afterwards.
private struct Sandbox {
    let schema = TestEnvironment.uniqueName("migrations")
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent(TestEnvironment.uniqueName("migrations")).path
    let logger = Logger(label: "test.migrations")

    func write(_ fileName: String, _ sql: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try sql.write(toFile: (directory as NSString).appendingPathComponent(fileName), atomically: true, encoding: .utf8)
    }

    func runner() throws -> MigrationRunner {
        MigrationRunner(migrations: try Migration.load(from: directory), logger: logger)
    }

    func run(_ body: (Sandbox) async throws -> Void) async throws {
        let admin = try await PostgresConnection.connect(PostgresConfiguration(url: TestEnvironment.postgresURL), logger: logger)
        try await admin.simpleQuery("CREATE SCHEMA \(schema)")
        do {
            try await body(self)
        } catch {
            try? await admin.simpleQuery("DROP SCHEMA \(schema) CASCADE")
            await admin.close()
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        try await admin.simpleQuery("DROP SCHEMA \(schema) CASCADE")
        await admin.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

@discardableResult
private func withConnection<R: Sendable>(
    _ sandbox: Sandbox, _ body: (PostgresConnection) async throws -> sending R
) async throws -> sending R {
    try await PostgresConnection.withConnection(
        PostgresConfiguration(url: TestEnvironment.postgresURL(searchPath: sandbox.schema)), logger: sandbox.logger, body
    )
}

@Suite struct MigrationRunnerTests {
    @Test func appliesPendingMigrationsInOrderOnce() async throws {
        try await Sandbox().run { sandbox in
            try sandbox.write("0002_add_rows.sql", "INSERT INTO widgets (name) VALUES ('a'), ('b');")
            try sandbox.write("0001_create_widgets.sql", "CREATE TABLE widgets (name text PRIMARY KEY);")
            try await withConnection(sandbox) { connection in
                let first = try await sandbox.runner().migrate(on: connection)
                #expect(first.map(\.version) == [1, 2])
                let second = try await sandbox.runner().migrate(on: connection)
                #expect(second.isEmpty)

                let status = try await sandbox.runner().status(on: connection)
                #expect(status.isCurrent)
                #expect(status.applied.map(\.name) == ["create_widgets", "add_rows"])
                let count = try await connection.query("SELECT count(*) FROM widgets")
                #expect(try count[0].decode(Int.self, at: 0) == 2)
            }
        }
    }

    @Test func statusBeforeAnyMigrationListsAllAsPending() async throws {
        try await Sandbox().run { sandbox in
            try sandbox.write("0001_one.sql", "CREATE TABLE one (id int);")
            let status = try await withConnection(sandbox) { try await sandbox.runner().status(on: $0) }
            #expect(!status.isCurrent)
            #expect(status.pending.map(\.fileName) == ["0001_one.sql"])
        }
    }

    @Test func refusesAnAppliedMigrationThatWasEdited() async throws {
        try await Sandbox().run { sandbox in
            try sandbox.write("0001_create.sql", "CREATE TABLE things (id int);")
            try await withConnection(sandbox) { try await sandbox.runner().migrate(on: $0) }

            try sandbox.write("0001_create.sql", "CREATE TABLE things (id bigint);")
            try sandbox.write("0002_more.sql", "CREATE TABLE more_things (id int);")
            try await withConnection(sandbox) { connection in
                let error = await #expect(throws: MigrationError.self) {
                    try await sandbox.runner().migrate(on: connection)
                }
                #expect(error?.code == .checksumMismatch)
                #expect(error?.message.contains("0001_create.sql") == true)
                #expect(error?.message.contains("edited") == true)
                // Refusing means changing nothing: the later migration was not applied either.
                let exists = try await connection.query("SELECT to_regclass('more_things') IS NOT NULL")
                #expect(try exists[0].decode(Bool.self, at: 0) == false)
            }
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        try await Sandbox().run { sandbox in
            try sandbox.write("0001_good.sql", "CREATE TABLE good (id int);")
            try sandbox.write("0002_bad.sql", "CREATE TABLE half_done (id int);\nSELECT 1 / 0;")
            try await withConnection(sandbox) { connection in
                let error = await #expect(throws: MigrationError.self) {
                    try await sandbox.runner().migrate(on: connection)
                }
                #expect(error?.code == .migrationFailed)
                #expect(error?.message.contains("0002_bad.sql") == true)

                let halfDone = try await connection.query("SELECT to_regclass('half_done') IS NOT NULL")
                #expect(try halfDone[0].decode(Bool.self, at: 0) == false)
                let status = try await sandbox.runner().status(on: connection)
                #expect(status.applied.map(\.version) == [1])
                #expect(status.pending.map(\.version) == [2])
            }
        }
    }

    @Test func refusesAMigrationNumberedBelowAnAppliedOne() async throws {
        try await Sandbox().run { sandbox in
            try sandbox.write("0002_second.sql", "CREATE TABLE second (id int);")
            try await withConnection(sandbox) { try await sandbox.runner().migrate(on: $0) }
            try sandbox.write("0001_late.sql", "CREATE TABLE late (id int);")
            let error = await #expect(throws: MigrationError.self) {
                try await withConnection(sandbox) { try await sandbox.runner().migrate(on: $0) }
            }
            #expect(error?.code == .outOfOrder)
        }
    }

    @Test func concurrentRunnersApplyEachMigrationOnce() async throws {
        try await Sandbox().run { sandbox in
            // Each migration records that it ran; the sleep widens the window for a race.
            try sandbox.write("0001_log.sql", "CREATE TABLE applied_log (version int); INSERT INTO applied_log VALUES (1); SELECT pg_sleep(0.2);")
            try sandbox.write("0002_log.sql", "INSERT INTO applied_log VALUES (2); SELECT pg_sleep(0.2);")
            try sandbox.write("0003_log.sql", "INSERT INTO applied_log VALUES (3);")
            let runners = 4
            let appliedPerRunner = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<runners {
                    group.addTask {
                        try await withConnection(sandbox) { try await sandbox.runner().migrate(on: $0).count }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(appliedPerRunner.reduce(0, +) == 3)
            let log = try await withConnection(sandbox) { connection in
                try await connection.query("SELECT version FROM applied_log ORDER BY version").map { try $0.decode(Int.self, at: 0) }
            }
            #expect(log == [1, 2, 3])
        }
    }

    @Test func rejectsBadlyNamedFiles() throws {
        let sandbox = Sandbox()
        try sandbox.write("01-create.sql", "SELECT 1;")
        let error = #expect(throws: MigrationError.self) { try Migration.load(from: sandbox.directory) }
        #expect(error?.code == .invalidFileName)
        try? FileManager.default.removeItem(atPath: sandbox.directory)
    }

    @Test func rejectsTwoFilesWithOneVersion() throws {
        let sandbox = Sandbox()
        try sandbox.write("0001_a.sql", "SELECT 1;")
        try sandbox.write("1_b.sql", "SELECT 1;")
        let error = #expect(throws: MigrationError.self) { try Migration.load(from: sandbox.directory) }
        #expect(error?.code == .duplicateVersion)
        try? FileManager.default.removeItem(atPath: sandbox.directory)
    }

    @Test func theRepositoryMigrationsApplyToAnEmptySchema() async throws {
        let repositoryMigrations = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("migrations").path
        let migrations = try Migration.load(from: repositoryMigrations)
        #expect(!migrations.isEmpty)
        try await Sandbox().run { sandbox in
            try await withConnection(sandbox) { connection in
                let runner = MigrationRunner(migrations: migrations, logger: sandbox.logger)
                try await runner.migrate(on: connection)
                #expect(try await runner.status(on: connection).isCurrent)
            }
        }
    }
}

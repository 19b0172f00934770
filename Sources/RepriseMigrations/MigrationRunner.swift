import Foundation
import Logging
import Postgres

/// A migration recorded in the database as applied.
public struct AppliedMigration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let checksum: String
    public let appliedAt: Date
}

/// What the database holds against what is on disk.
public struct MigrationStatus: Sendable {
    public let applied: [AppliedMigration]
    public let pending: [Migration]
    /// True when every migration on disk is applied; the readiness check uses this.
    public var isCurrent: Bool { pending.isEmpty }
}

/// Applies numbered SQL migrations, each in its own transaction, recording a checksum
/// per file in `reprise_schema_migrations`.
///
/// Runners in several processes may start at once (every service migrates on start in
/// the single-machine setup). A session-level advisory lock makes them take turns, and
/// each one re-reads what is applied after it gets the lock, so a migration is applied
/// exactly once.
public struct MigrationRunner: Sendable {
    public let migrations: [Migration]
    private let logger: Logger

    public init(migrations: [Migration], logger: Logger) {
        self.migrations = migrations
        self.logger = logger
    }

    /// Applies what is pending and returns it. Refuses, changing nothing, when an applied
    /// file was edited, is missing, or a new file is numbered below an applied one.
    @discardableResult
    public func migrate(on connection: PostgresConnection) async throws -> [Migration] {
        try await withMigrationLock(on: connection) {
            try await createHistoryTable(on: connection)
            let status = try await check(on: connection)
            for migration in status.pending {
                try await apply(migration, on: connection)
            }
            return status.pending
        }
    }

    /// Compares the database with the files, without changing anything.
    public func status(on connection: PostgresConnection) async throws -> MigrationStatus {
        let exists = try await connection.query("SELECT to_regclass('reprise_schema_migrations') IS NOT NULL")
        guard try exists.first?.decode(Bool.self, at: 0) == true else {
            return MigrationStatus(applied: [], pending: migrations)
        }
        return try await check(on: connection)
    }

    private func check(on connection: PostgresConnection) async throws -> MigrationStatus {
        let applied = try await appliedMigrations(on: connection)
        let onDisk = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for record in applied {
            guard let file = onDisk[record.version] else {
                throw MigrationError(
                    .unknownAppliedMigration,
                    "the database has migration \(record.version) (\(record.name)) applied, but no such file is in the migrations folder; is this an older build of Reprise?"
                )
            }
            guard file.checksum == record.checksum else {
                throw MigrationError(
                    .checksumMismatch,
                    "migration \(file.fileName) was edited after it was applied (checksum \(record.checksum.prefix(12)) in the database, \(file.checksum.prefix(12)) on disk); restore the file and put the change in a new migration"
                )
            }
        }
        let appliedVersions = Set(applied.map(\.version))
        let pending = migrations.filter { !appliedVersions.contains($0.version) }
        if let newestApplied = applied.map(\.version).max(), let early = pending.first(where: { $0.version < newestApplied }) {
            throw MigrationError(
                .outOfOrder,
                "migration \(early.fileName) is numbered below \(newestApplied), which is already applied; renumber it above \(newestApplied)"
            )
        }
        return MigrationStatus(applied: applied, pending: pending)
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        let started = ContinuousClock.now
        do {
            try await connection.withTransaction { transaction in
                try await transaction.simpleQuery(migration.sql)
                let elapsed = ContinuousClock.now - started
                let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                try await transaction.query("""
                    INSERT INTO reprise_schema_migrations (version, name, checksum, execution_ms)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum), \(milliseconds))
                    """)
            }
        } catch let error as PostgresError {
            throw MigrationError(
                .migrationFailed,
                "migration \(migration.fileName) failed and was rolled back: \(error.message)",
                underlying: error
            )
        }
        logger.info("migration applied", metadata: [
            "migration.version": "\(migration.version)",
            "migration.name": "\(migration.name)",
        ])
    }

    private func appliedMigrations(on connection: PostgresConnection) async throws -> [AppliedMigration] {
        let rows = try await connection.query(
            "SELECT version, name, checksum, applied_at FROM reprise_schema_migrations ORDER BY version"
        )
        return try rows.map { row in
            AppliedMigration(
                version: try row.decode(Int.self, at: 0),
                name: try row.decode(String.self, at: 1),
                checksum: try row.decode(String.self, at: 2),
                appliedAt: try row.decode(Date.self, at: 3)
            )
        }
    }

    private func createHistoryTable(on connection: PostgresConnection) async throws {
        try await connection.simpleQuery("""
            CREATE TABLE IF NOT EXISTS reprise_schema_migrations (
                version      integer PRIMARY KEY,
                name         text NOT NULL,
                checksum     text NOT NULL,
                applied_at   timestamptz NOT NULL DEFAULT now(),
                execution_ms integer NOT NULL
            )
            """)
    }

    private static let lock: PostgresQuery = "SELECT pg_advisory_lock(hashtext('reprise.migrations.' || current_schema()))"
    private static let unlock: PostgresQuery = "SELECT pg_advisory_unlock(hashtext('reprise.migrations.' || current_schema()))"

    /// Holds a session advisory lock, keyed by schema, around `body`. The lock is
    /// released on every path, and Postgres drops it anyway if the session dies.
    private func withMigrationLock<R: Sendable>(
        on connection: PostgresConnection,
        _ body: () async throws -> R
    ) async throws -> R {
        try await connection.query(Self.lock)
        let result: R
        do {
            result = try await body()
        } catch {
            _ = try? await connection.query(Self.unlock)
            throw error
        }
        try await connection.query(Self.unlock)
        return result
    }
}

import Foundation
import Postgres
import RepriseEventLog
import RepriseProjectionCore

/// The bookkeeping in `migrations/0002_fanout_and_projections.sql` that every projection
/// shares: which generation is live, how far each generation got, and dead letters.
enum ProjectionLedger {
    /// Makes sure the projection is registered with a live generation and its tables,
    /// and returns that generation. Safe to call from several processes at once.
    static func ensureRegistered(_ projection: some Projection, on pool: PostgresConnectionPool) async throws -> Int {
        try await pool.withTransaction { connection in
            // Keyed by schema too: advisory locks are database-wide.
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtextextended('reprise:projection:' || current_schema() || ':' || \(projection.name), 0))"
            )
            if let live = try await liveGeneration(of: projection.name, on: connection, lock: .none) { return live }
            try await createGeneration(1, of: projection, on: connection)
            try await connection.query(
                "INSERT INTO projections (name, live_generation, swapped_at) VALUES (\(projection.name), 1, now())"
            )
            return 1
        }
    }

    enum RowLock {
        case none
        /// Held by each live batch: a swap waits for it, and it waits for a swap.
        case share
        /// Held by a swap.
        case update
    }

    static func liveGeneration(of name: String, on connection: PostgresConnection, lock: RowLock) async throws -> Int? {
        let rows: PostgresRows
        switch lock {
        case .none: rows = try await connection.query("SELECT live_generation FROM projections WHERE name = \(name)")
        case .share: rows = try await connection.query("SELECT live_generation FROM projections WHERE name = \(name) FOR SHARE")
        case .update: rows = try await connection.query("SELECT live_generation FROM projections WHERE name = \(name) FOR UPDATE")
        }
        return try rows.first?.decode(Int.self, at: 0)
    }

    /// The next unused generation number.
    static func nextGeneration(of name: String, on executor: some PostgresExecutor) async throws -> Int {
        let rows = try await executor.query(
            """
            SELECT greatest(coalesce((SELECT max(generation) FROM projection_checkpoints WHERE name = \(name)), 0),
                            coalesce((SELECT live_generation FROM projections WHERE name = \(name)), 0)) + 1
            """
        )
        return try rows.first?.decode(Int.self, at: 0) ?? 1
    }

    /// Creates (or recreates, empty) one generation's tables and its checkpoint at 0.
    static func createGeneration(_ generation: Int, of projection: some Projection, on connection: PostgresConnection) async throws {
        for table in projection.tables {
            let physical = table.physicalName(generation: generation)
            try await connection.query("DROP TABLE IF EXISTS \(physical)")
            try await connection.query("CREATE TABLE \(physical) (\(table.definition))")
            for columns in table.indexes {
                try await connection.query("CREATE INDEX ON \(physical) (\(PostgresQuery.list(columns.map { "\(identifier: $0)" })))")
            }
        }
        try await connection.query(
            """
            INSERT INTO projection_checkpoints (name, generation, global_sequence) VALUES (\(projection.name), \(generation), 0)
            ON CONFLICT (name, generation) DO UPDATE SET global_sequence = 0
            """
        )
    }

    static func dropGeneration(_ generation: Int, of projection: some Projection, on connection: PostgresConnection) async throws {
        for table in projection.tables {
            try await connection.query("DROP TABLE IF EXISTS \(table.physicalName(generation: generation))")
        }
        try await connection.query(
            "DELETE FROM projection_checkpoints WHERE name = \(projection.name) AND generation = \(generation)"
        )
    }

    static func checkpoint(of name: String, generation: Int, on executor: some PostgresExecutor, forUpdate: Bool = false) async throws -> UInt64 {
        let rows = forUpdate
            ? try await executor.query(
                "SELECT global_sequence FROM projection_checkpoints WHERE name = \(name) AND generation = \(generation) FOR UPDATE"
            )
            : try await executor.query(
                "SELECT global_sequence FROM projection_checkpoints WHERE name = \(name) AND generation = \(generation)"
            )
        guard let row = rows.first else {
            throw ProjectionError(code: .unknownProjection, message: "\(name) has no generation \(generation)")
        }
        return UInt64(try row.decode(Int64.self, at: 0))
    }

    static func setCheckpoint(_ sequence: UInt64, of name: String, generation: Int, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            UPDATE projection_checkpoints SET global_sequence = \(Int64(sequence))
            WHERE name = \(name) AND generation = \(generation)
            """
        )
    }

    static func recordDeadLetter(
        _ event: SequencedEvent, projection name: String, error: String, attempts: Int, on connection: PostgresConnection
    ) async throws {
        try await connection.query(
            """
            INSERT INTO projection_dead_letters (name, global_sequence, event_id, event_type, error, attempts, recorded_at)
            VALUES (\(name), \(Int64(event.globalSequence)), \(event.event.eventID), \(event.event.type), \(error), \(attempts), now())
            ON CONFLICT (name, global_sequence) DO UPDATE SET error = excluded.error, attempts = excluded.attempts
            """
        )
    }
}

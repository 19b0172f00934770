import Postgres
import RepriseProjectionCore

/// Reads a projection's live model. The read runs in a transaction that holds the
/// registry row shared, so a rebuild cannot swap and drop the generation underneath it.
public enum ProjectionReader {
    /// The live generation's tables, for one read.
    public struct LiveModel: Sendable {
        public let connection: PostgresConnection
        public let generation: Int
        let tables: [String: ProjectionTable]

        /// The physical name of a table of the live generation.
        public func table(_ name: String) -> PostgresIdentifier {
            guard let table = tables[name] else { preconditionFailure("the projection has no table \(name)") }
            return table.physicalName(generation: generation)
        }
    }

    /// Runs `body` against the live model; `nil` when the projection has never run.
    public static func read<R: Sendable>(
        _ projection: some Projection, on pool: PostgresConnectionPool, _ body: (LiveModel) async throws -> sending R
    ) async throws -> R? {
        try await pool.withTransaction { connection in
            guard let generation = try await ProjectionLedger.liveGeneration(of: projection.name, on: connection, lock: .share) else {
                return nil
            }
            let model = LiveModel(
                connection: connection, generation: generation,
                tables: Dictionary(uniqueKeysWithValues: projection.tables.map { ($0.name, $0) })
            )
            return try await body(model)
        }
    }

    /// The live generation's checkpoint: how much of the log the model reflects.
    public static func checkpoint(of projection: some Projection, on pool: PostgresConnectionPool) async throws -> UInt64? {
        try await read(projection, on: pool) { model in
            try await ProjectionLedger.checkpoint(of: projection.name, generation: model.generation, on: model.connection)
        }
    }
}

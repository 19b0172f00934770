import Postgres
import RepriseProjectionCore

/// A batch's rows from one generation's tables: one query per table, every column as text.
struct PostgresRowSource<Executor: PostgresExecutor>: ProjectionRowSource {
    let executor: Executor
    let generation: Int

    func rows(of keys: [ProjectionKey], in table: ProjectionTable) async throws -> [String: [[String]]] {
        try Self.group(try await executor.query(table.loadQuery(generation: generation, keys: keys.map(\.id))))
    }

    func rows(flagged column: String, in table: ProjectionTable, excluding: Set<String>) async throws -> [String: [[String]]] {
        try Self.group(try await executor.query(table.flaggedQuery(generation: generation, column: column, excluding: excluding.sorted())))
    }

    /// Physical rows by key, the key column dropped, in the order the query returned them.
    private static func group(_ rows: PostgresRows) throws -> [String: [[String]]] {
        var grouped: [String: [[String]]] = [:]
        let width = rows.columnNames.count
        for row in rows {
            var values: [String] = []
            values.reserveCapacity(width)
            for index in 0..<width { values.append(try row.decode(String.self, at: index)) }
            grouped[values[0], default: []].append(Array(values.dropFirst()))
        }
        return grouped
    }
}

/// Writes a batch's changes: per table one DELETE of the changed keys and one INSERT of
/// their new rows, in table order.
enum ProjectionWriter {
    static func write<P: Projection>(
        _ changes: [ProjectionKey: RowChange<P.Row>], of projection: P, generation: Int, on connection: PostgresConnection
    ) async throws -> Int {
        var written = 0
        for write in ProjectionBatch(projection: projection).writes(for: changes) {
            try await connection.query(write.table.deleteQuery(generation: generation, keys: write.keys))
            if !write.rows.isEmpty {
                try await connection.query(write.table.insertQuery(generation: generation, rows: write.rows))
            }
            written += write.rows.count
        }
        return written
    }
}

import RepriseEventLog

/// A projection's tables held in memory as their physical rows, written and read
/// through the projection's own codec exactly as Postgres would be.
///
/// For tests that need no database (the batch-boundary property test folds a log through
/// it many ways and compares the results) and for in-process simulations.
public struct InMemoryProjectionStore<P: Projection> {
    public let projection: P
    /// Table → key → physical rows (the key column excluded).
    public private(set) var tables: [String: [String: [[String]]]] = [:]
    public private(set) var checkpoint: UInt64 = 0
    public private(set) var deadLetters: [UInt64] = []
    /// Set once a `.stop` projection met poison.
    public private(set) var stoppedAt: UInt64?

    public init(projection: P) {
        self.projection = projection
    }

    /// Folds one batch as a projector does: loads, folds, writes back the changes and
    /// moves the checkpoint, all or nothing. Returns the changes.
    @discardableResult
    public mutating func apply(_ events: [SequencedEvent]) async throws -> [ProjectionKey: RowChange<P.Row>] {
        guard stoppedAt == nil else { return [:] }
        var rows = ProjectionRows<P.Row>()
        let outcome = try await ProjectionBatch(projection: projection).fold(
            events, after: checkpoint, into: &rows, loadingFrom: Snapshot(tables: tables, projection: projection)
        )
        write(outcome.changes)
        checkpoint = outcome.checkpoint
        deadLetters += outcome.deadLetters.map(\.event.globalSequence)
        stoppedAt = outcome.stoppedAt
        return outcome.changes
    }

    /// Folds `events` into empty tables the way a rebuild does (`ProjectionFill`), in pages
    /// of `pageSize`, writing back whenever more than `maxResidentRows` keys are held.
    public mutating func rebuild(_ events: [SequencedEvent], pageSize: Int, maxResidentRows: Int) async throws {
        tables = [:]
        checkpoint = 0
        deadLetters = []
        stoppedAt = nil
        var store = self
        let outcome = try await ProjectionFill(projection: projection, pageSize: pageSize, maxResidentRows: maxResidentRows).run(
            after: 0,
            // Sequenced logs number their events 1, 2, 3, …: event n sits at index n - 1.
            readPage: { after, limit in Array(events.dropFirst(Int(after)).prefix(limit)) },
            source: { Snapshot(tables: store.tables, projection: store.projection) },
            flush: { changes, deadLetters, checkpoint in
                store.write(changes)
                store.checkpoint = checkpoint
                store.deadLetters += deadLetters.map(\.event.globalSequence)
            }
        )
        store.stoppedAt = outcome.stoppedAt
        self = store
    }

    private mutating func write(_ changes: [ProjectionKey: RowChange<P.Row>]) {
        for write in ProjectionBatch(projection: projection).writes(for: changes) {
            var table = tables[write.table.name, default: [:]]
            for key in write.keys { table[key] = nil }
            for row in write.rows { table[row[0], default: []].append(Array(row.dropFirst())) }
            tables[write.table.name] = table
        }
    }

    /// Every physical row, one line each, sorted: equal models give equal lines.
    public var lines: [String] {
        var lines: [String] = []
        for (table, keys) in tables {
            for (key, rows) in keys {
                for row in rows {
                    lines.append(([table, key] + row).joined(separator: "\u{1F}"))
                }
            }
        }
        return lines.sorted()
    }

    private struct Snapshot: ProjectionRowSource {
        let tables: [String: [String: [[String]]]]
        let projection: P

        func rows(of keys: [ProjectionKey], in table: ProjectionTable) async throws -> [String: [[String]]] {
            var found: [String: [[String]]] = [:]
            for key in keys {
                if let rows = tables[table.name]?[key.id], !rows.isEmpty { found[key.id] = rows }
            }
            return found
        }

        func rows(flagged column: String, in table: ProjectionTable, excluding: Set<String>) async throws -> [String: [[String]]] {
            guard let index = table.columns.firstIndex(where: { $0.name == column }) else { return [:] }
            return (tables[table.name] ?? [:]).filter { key, rows in
                !excluding.contains(key) && rows.contains { $0[index] == "true" }
            }
        }
    }
}

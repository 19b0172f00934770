import RepriseEventLog

/// Where a batch's rows come from: one generation's tables in Postgres, or memory.
public protocol ProjectionRowSource {
    /// The physical rows of each key that has any, one round trip per table.
    func rows(of keys: [ProjectionKey], in table: ProjectionTable) async throws -> [String: [[String]]]
    /// The physical rows of every key of `table` whose boolean `column` is true, except `excluding`.
    func rows(flagged column: String, in table: ProjectionTable, excluding: Set<String>) async throws -> [String: [[String]]]
}

/// What folding one batch did.
public struct FoldOutcome<Row: Equatable & Sendable>: Sendable {
    /// The last event folded, skipped or dead-lettered; the checkpoint to store.
    public var checkpoint: UInt64
    public var applied = 0
    /// Events that could not be decoded or applied, with why, in log order.
    public var deadLetters: [(event: SequencedEvent, error: String)] = []
    /// Set when the policy is `.stop` and this event was poison: the checkpoint stays before it.
    public var stoppedAt: UInt64?
    /// Keys whose value changed, with their values before and after.
    public var changes: [ProjectionKey: RowChange<Row>] = [:]
    public var lastRecordedAtMicroseconds: Int64?

    public init(checkpoint: UInt64) { self.checkpoint = checkpoint }
}

/// The fold of one batch, the same for live projectors, rebuilds and tests.
///
/// 1. Decode each event after `checkpoint` once (a decode failure is poison).
/// 2. Load every row the steps select that `rows` does not hold yet, one round trip per table.
/// 3. Fold the steps in order; a step whose apply throws is undone and dead-lettered.
///
/// Writing the changes back and moving the checkpoint is the caller's, in one transaction.
public struct ProjectionBatch<P: Projection> {
    public let projection: P

    public init(projection: P) {
        self.projection = projection
    }

    /// `collectChanges`: false when the caller keeps folding into `rows` and asks
    /// `rows.changes()` itself when it writes (a rebuild, across many pages).
    public func fold(
        _ events: [SequencedEvent], after checkpoint: UInt64, into rows: inout ProjectionRows<P.Row>,
        loadingFrom source: some ProjectionRowSource, collectChanges: Bool = true
    ) async throws -> FoldOutcome<P.Row> {
        var outcome = FoldOutcome<P.Row>(checkpoint: checkpoint)
        var steps: [(SequencedEvent, Result<P.Step?, any Error>)] = []
        var expected = checkpoint + 1
        for event in events where event.globalSequence > checkpoint {
            // The runtime hands over a gapless run; anything else is a bug upstream.
            precondition(event.globalSequence == expected, "batch of \(projection.name) skips from \(expected - 1) to \(event.globalSequence)")
            expected += 1
            steps.append((event, Result { try projection.step(for: event) }))
        }
        try await load(steps.compactMap { try? $0.1.get() }, into: &rows, from: source)

        for (event, decoded) in steps {
            switch decoded {
            case .failure(let error):
                if poison(event, error, &outcome) { return finish(outcome, rows, collectChanges) }
            case .success(nil):
                break
            case .success(let step?):
                rows.beginEvent()
                do {
                    try projection.apply(step, to: &rows)
                    outcome.applied += 1
                } catch let error as ProjectionRowsError {
                    // A bug in the projection, not in the event: fail the batch, dead-letter nothing.
                    rows.undoEvent()
                    throw error
                } catch {
                    rows.undoEvent()
                    if poison(event, error, &outcome) { return finish(outcome, rows, collectChanges) }
                }
            }
            outcome.checkpoint = event.globalSequence
            outcome.lastRecordedAtMicroseconds = event.event.recordedAtMicroseconds
        }
        return finish(outcome, rows, collectChanges)
    }

    /// Records a poison event; true when the policy says stop here.
    private func poison(_ event: SequencedEvent, _ error: any Error, _ outcome: inout FoldOutcome<P.Row>) -> Bool {
        outcome.deadLetters.append((event, "\(error)"))
        guard projection.poisonPolicy == .stop else { return false }
        outcome.stoppedAt = event.globalSequence
        return true
    }

    private func finish(_ outcome: FoldOutcome<P.Row>, _ rows: ProjectionRows<P.Row>, _ collectChanges: Bool) -> FoldOutcome<P.Row> {
        guard collectChanges else { return outcome }
        var outcome = outcome
        outcome.changes = rows.changes()
        return outcome
    }

    /// Loads what the steps select and `rows` lacks: keys per table, then flagged sets.
    private func load(_ steps: [P.Step?], into rows: inout ProjectionRows<P.Row>, from source: some ProjectionRowSource) async throws {
        var keys: [String: Set<ProjectionKey>] = [:]
        var flags: Set<RowSelectionFlag> = []
        for step in steps {
            guard let step else { continue }
            for selection in projection.selections(for: step) {
                switch selection {
                case .key(let key) where !rows.isLoaded(key):
                    keys[key.table, default: []].insert(key)
                case .key:
                    break
                case .flagged(let table, let column, let companions) where !rows.isComplete(table: table, column: column):
                    flags.insert(RowSelectionFlag(table: table, column: column, companions: companions))
                case .flagged:
                    break
                }
            }
        }
        for (tableName, wanted) in keys.sorted(by: { $0.key < $1.key }) {
            let table = try self.table(tableName)
            let sorted = wanted.sorted()
            let found = try await source.rows(of: sorted, in: table)
            for key in sorted {
                rows.load(key, try found[key.id].map { try projection.decode($0, key: key) })
            }
        }
        for flag in flags.sorted(by: { ($0.table, $0.column) < ($1.table, $1.column) }) {
            let table = try self.table(flag.table)
            let have = Set(rows.loadedKeys.filter { $0.table == flag.table }.map(\.id))
            let flagged = try await source.rows(flagged: flag.column, in: table, excluding: have)
            let ids = flagged.keys.sorted()
            for id in ids {
                let key = ProjectionKey(flag.table, id)
                rows.load(key, try projection.decode(flagged[id]!, key: key))
            }
            for companionName in flag.companions {
                let companion = try self.table(companionName)
                let keys = ids.map { ProjectionKey(companionName, $0) }.filter { !rows.isLoaded($0) }
                let found = keys.isEmpty ? [:] : try await source.rows(of: keys, in: companion)
                for key in keys {
                    rows.load(key, try found[key.id].map { try projection.decode($0, key: key) })
                }
            }
            rows.markComplete(table: flag.table, column: flag.column)
        }
    }

    private func table(_ name: String) throws(ProjectionRowsError) -> ProjectionTable {
        guard let table = projection.table(named: name) else { throw ProjectionRowsError(key: ProjectionKey(name, "*")) }
        return table
    }

    /// The physical rows to write for `changes`, per table: the keys whose rows are
    /// replaced, and their new rows with the key in front. Sorted, so writes happen in one order.
    public func writes(for changes: [ProjectionKey: RowChange<P.Row>]) -> [(table: ProjectionTable, keys: [String], rows: [[String]])] {
        var byTable: [String: [(ProjectionKey, P.Row?)]] = [:]
        for (key, change) in changes { byTable[key.table, default: []].append((key, change.after)) }
        return byTable.keys.sorted().compactMap { name in
            guard let table = projection.table(named: name) else { return nil }
            let entries = byTable[name]!.sorted { $0.0 < $1.0 }
            var physical: [[String]] = []
            for (key, row) in entries {
                guard let row else { continue }
                for values in projection.encode(row, key: key) { physical.append([key.id] + values) }
            }
            return (table, entries.map(\.0.id), physical)
        }
    }
}

private struct RowSelectionFlag: Hashable {
    let table: String
    let column: String
    let companions: [String]
}

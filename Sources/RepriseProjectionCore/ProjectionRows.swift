/// The rows one batch folds over: every selected key, present or absent.
///
/// Reading or writing a key that was not selected is a bug in the projection (its
/// result would depend on where batches happen to start), so it throws
/// `ProjectionRowsError`, which stops the projector whatever its poison policy.
public struct ProjectionRows<Row: Equatable & Sendable>: Sendable {
    private var values: [ProjectionKey: Row]
    private var loaded: Set<ProjectionKey>
    /// Flagged selections satisfied for this batch: every key of the table with the flag set is loaded.
    private var completeFlags: Set<String>
    /// Writes of the event being folded, to undo them if it turns out to be poison.
    private var journal: [(ProjectionKey, Row?)] = []
    /// For each key written since the last `markClean`, its value as storage holds it.
    private var stored: [ProjectionKey: Row?] = [:]

    public init() {
        values = [:]
        loaded = []
        completeFlags = []
    }

    /// The value of `key`; nil when it has no row.
    public func row(_ key: ProjectionKey) throws(ProjectionRowsError) -> Row? {
        guard loaded.contains(key) else { throw ProjectionRowsError(key: key) }
        return values[key]
    }

    /// Sets (or, with nil, deletes) the value of `key`.
    public mutating func set(_ key: ProjectionKey, _ row: Row?) throws(ProjectionRowsError) {
        guard loaded.contains(key) else { throw ProjectionRowsError(key: key) }
        let previous = values[key]
        journal.append((key, previous))
        if stored[key] == nil { stored[key] = .some(previous) }
        values[key] = row
    }

    /// Every loaded key of `table` that has a row, in key order (never in hash order:
    /// that changes from process to process).
    public func keys(in table: String) -> [ProjectionKey] {
        values.keys.filter { $0.table == table }.sorted()
    }

    // MARK: For the runtime

    public var loadedKeys: Set<ProjectionKey> { loaded }
    public var count: Int { loaded.count }

    /// Adds a loaded key and its value (nil: it has no row). Existing keys are kept: what
    /// this batch folded is newer than what storage holds.
    public mutating func load(_ key: ProjectionKey, _ row: Row?) {
        guard loaded.insert(key).inserted else { return }
        values[key] = row
    }

    public func isLoaded(_ key: ProjectionKey) -> Bool { loaded.contains(key) }

    public mutating func markComplete(table: String, column: String) { completeFlags.insert(table + "." + column) }
    public func isComplete(table: String, column: String) -> Bool { completeFlags.contains(table + "." + column) }

    /// Starts folding one event.
    public mutating func beginEvent() { journal.removeAll(keepingCapacity: true) }

    /// Undoes the writes since `beginEvent`.
    public mutating func undoEvent() {
        for (key, previous) in journal.reversed() { values[key] = previous }
        journal.removeAll(keepingCapacity: true)
    }

    /// Forgets every key (after a flush, to bound memory).
    public mutating func removeAll() {
        values.removeAll()
        loaded.removeAll()
        completeFlags.removeAll()
        journal.removeAll()
        stored.removeAll()
    }

    /// The keys written since the last `markClean` whose value differs from storage's.
    public func changes() -> [ProjectionKey: RowChange<Row>] {
        var changes: [ProjectionKey: RowChange<Row>] = [:]
        for (key, before) in stored {
            let after = values[key]
            if before != after { changes[key] = RowChange(before: before, after: after) }
        }
        return changes
    }

    /// Storage now holds every value: after a batch was written and committed.
    public mutating func markClean() { stored.removeAll(keepingCapacity: true) }
}

/// A projection touched a row it did not select: a bug in the projection, not in the event.
public struct ProjectionRowsError: Error, Sendable, CustomStringConvertible {
    public let key: ProjectionKey
    public var description: String { "the fold touched \(key), which its selections did not name" }
}

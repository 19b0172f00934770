import RepriseEventLog

/// A rebuild's fill: the log folded page by page into rows that stay in memory across
/// pages, written back only when more than `maxResidentRows` keys are held (then they are
/// forgotten and loaded again when needed) and at the end. Memory stays bounded, and a key
/// that a thousand events change is written once. Postgres rebuilds and the in-memory
/// store share it, so both fill the same way.
public struct ProjectionFill<P: Projection> {
    public let projection: P
    public let pageSize: Int
    public let maxResidentRows: Int

    public init(projection: P, pageSize: Int, maxResidentRows: Int) {
        self.projection = projection
        self.pageSize = max(1, pageSize)
        self.maxResidentRows = max(1, maxResidentRows)
    }

    /// - Parameters:
    ///   - readPage: up to `limit` events after a sequence, in order; empty at the end.
    ///   - source: where rows that are not in memory are loaded from (what was flushed).
    ///   - flush: writes changes and dead letters and moves the checkpoint, all or nothing.
    ///   - progress: the checkpoint after each page.
    public func run<Source: ProjectionRowSource>(
        after checkpoint: UInt64,
        readPage: (_ after: UInt64, _ limit: Int) async throws -> [SequencedEvent],
        source: () -> Source,
        flush: (_ changes: [ProjectionKey: RowChange<P.Row>], _ deadLetters: [(event: SequencedEvent, error: String)], _ checkpoint: UInt64) async throws -> Void,
        progress: (UInt64) -> Void = { _ in }
    ) async throws -> FoldOutcome<P.Row> {
        let batch = ProjectionBatch(projection: projection)
        var rows = ProjectionRows<P.Row>()
        var total = FoldOutcome<P.Row>(checkpoint: checkpoint)
        var unwritten: [(event: SequencedEvent, error: String)] = []

        func write(forget: Bool) async throws {
            try await flush(rows.changes(), unwritten, total.checkpoint)
            unwritten = []
            rows.markClean()
            if forget { rows.removeAll() }
        }

        while total.stoppedAt == nil {
            let page = try await readPage(total.checkpoint, pageSize)
            guard !page.isEmpty else { break }
            let fold = try await batch.fold(page, after: total.checkpoint, into: &rows, loadingFrom: source(), collectChanges: false)
            total.checkpoint = fold.checkpoint
            total.applied += fold.applied
            total.deadLetters += fold.deadLetters
            total.stoppedAt = fold.stoppedAt
            total.lastRecordedAtMicroseconds = fold.lastRecordedAtMicroseconds ?? total.lastRecordedAtMicroseconds
            unwritten += fold.deadLetters
            if rows.count > maxResidentRows { try await write(forget: true) }
            progress(total.checkpoint)
        }
        try await write(forget: true)
        return total
    }
}

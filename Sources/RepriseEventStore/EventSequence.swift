import Foundation
import Postgres
import RepriseEventLog

/// The global sequence in PostgreSQL (`event_sequence` and `reprise_sequence_next` in
/// `migrations/0002_fanout_and_projections.sql`): numbering the log, which only the relay
/// does, and reading it back by number, which rebuilds and auditors do.
public enum EventSequence {
    static let assignNext = Statements.eventRead(
        name: "reprise_sequence_next",
        sql: "SELECT * FROM reprise_sequence_next($1)"
    )

    static let readAfter = Statements.eventRead(
        name: "reprise_read_sequenced",
        sql: """
            SELECT s.global_sequence, e.transaction_id::text, e.position, e.event_id, e.stream_id, e.stream_version,
                   e.event_type, e.schema_version, e.data::text, e.correlation_id, e.causation_id, e.actor, e.command_id,
                   (extract(epoch FROM e.recorded_at) * 1000000)::bigint, e.previous_hash, e.hash
            FROM event_sequence s JOIN events e ON e.transaction_id = s.transaction_id AND e.position = s.position
            WHERE s.global_sequence > $1
            ORDER BY s.global_sequence LIMIT $2
            """
    )

    static let last = PostgresPreparedStatement(
        name: "reprise_last_sequence",
        sql: "SELECT coalesce(max(global_sequence), 0) FROM event_sequence"
    )

    /// Numbers up to `limit` events of the log's stable prefix that have no number yet,
    /// and returns them in order. The caller is the one relay that holds the sequencer
    /// lock; it runs in the statement's own transaction.
    public static func assignNext(limit: Int, on executor: some PostgresExecutor) async throws(EventStoreError) -> [SequencedEvent] {
        try await rows(assignNext, [max(1, limit)], on: executor)
    }

    /// Numbered events after `sequence`, in order: the log by global sequence.
    public static func read(after sequence: UInt64, limit: Int, on executor: some PostgresExecutor) async throws(EventStoreError) -> [SequencedEvent] {
        try await rows(readAfter, [Int64(clamping: sequence), max(0, limit)], on: executor)
    }

    /// The highest number assigned so far; 0 before the first.
    public static func lastAssigned(on executor: some PostgresExecutor) async throws(EventStoreError) -> UInt64 {
        do {
            let rows = try await executor.execute(last, [])
            return UInt64(try rows.first?.decode(Int64.self, at: 0) ?? 0)
        } catch {
            throw EventStoreError(code: .unavailable, message: "reading the last global sequence failed: \(error)")
        }
    }

    /// What an auditor checks of the numbering: it is dense (1…N), every number names a
    /// stored event, the numbers follow the log's stable order, and no event before the
    /// last numbered one was left out. Returns the problems found; empty when all hold.
    public static func audit(on executor: some PostgresExecutor) async throws -> (numbered: UInt64, problems: [String]) {
        let summary = try await executor.query(
            """
            SELECT count(*)::bigint, coalesce(max(global_sequence), 0)::bigint,
                   (SELECT count(*) FROM event_sequence s
                    WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.transaction_id = s.transaction_id AND e.position = s.position))::bigint,
                   (SELECT count(*) FROM (SELECT global_sequence, row_number() OVER (ORDER BY transaction_id, position) AS rank
                                          FROM event_sequence) ranked WHERE global_sequence <> rank)::bigint
            FROM event_sequence
            """
        )
        guard let row = summary.first else { return (0, []) }
        let count = try row.decode(Int64.self, at: 0), last = try row.decode(Int64.self, at: 1)
        let dangling = try row.decode(Int64.self, at: 2), misordered = try row.decode(Int64.self, at: 3)
        var problems: [String] = []
        if count != last { problems.append("the global sequence has gaps: \(count) numbers up to \(last)") }
        if dangling > 0 { problems.append("\(dangling) numbers name no stored event") }
        if misordered > 0 { problems.append("\(misordered) numbers do not follow the log's order") }
        let skipped = try await executor.query(
            """
            SELECT count(*)::bigint FROM events e
            WHERE (e.transaction_id, e.position) < (SELECT s.transaction_id, s.position FROM event_sequence s
                                                    ORDER BY s.global_sequence DESC LIMIT 1)
              AND NOT EXISTS (SELECT 1 FROM event_sequence s WHERE s.transaction_id = e.transaction_id AND s.position = e.position)
            """
        )
        let left = try skipped.first?.decode(Int64.self, at: 0) ?? 0
        if left > 0 { problems.append("\(left) events before the last numbered one have no number") }
        return (UInt64(max(0, last)), problems)
    }

    private static func rows(
        _ statement: PostgresPreparedStatement, _ binds: PostgresBindings, on executor: some PostgresExecutor
    ) async throws(EventStoreError) -> [SequencedEvent] {
        do {
            let rows = try await executor.execute(statement, binds)
            return try rows.map { row in
                SequencedEvent(
                    globalSequence: UInt64(try row.decode(Int64.self, at: 0)),
                    event: try RecordedEventColumns.decode(row, offset: 1)
                )
            }
        } catch let error as EventStoreError {
            throw error
        } catch {
            throw EventStoreError(code: .unavailable, message: "reading numbered events failed: \(error)")
        }
    }
}

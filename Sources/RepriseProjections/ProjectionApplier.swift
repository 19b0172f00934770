import Logging
import Postgres
import RepriseEventLog
import RepriseEventStore
import RepriseProjectionCore

/// Applies the log to one generation of one projection inside a transaction the caller
/// opened: loads every row the batch selects (one query per table), folds the batch in
/// memory, writes back only what changed (one DELETE and one INSERT per table), records
/// the dead letters and moves the checkpoint.
///
/// Events come from NATS (`provided`) where the caller has them; any sequence missing from
/// them (a message that did not decode, a consumer that started late, a generation swapped
/// in ahead) is read from Postgres, so the model never skips an event. Events at or below
/// the checkpoint are skipped: that is what makes redelivery harmless. There is no
/// savepoint: the fold is pure, so a poison event leaves nothing to roll back.
struct ProjectionApplier<P: Projection> {
    let projection: P
    let metrics: ProjectorMetrics?
    let logger: Logger
    let pageSize: Int

    /// What one batch did, and the generation it went to.
    struct Outcome {
        var fold: FoldOutcome<P.Row>
        var rowsWritten = 0
        var checkpoint: UInt64 { fold.checkpoint }
    }

    func apply(
        through target: UInt64, provided: [UInt64: SequencedEvent], generation: Int, on connection: PostgresConnection
    ) async throws -> Outcome {
        let checkpoint = try await ProjectionLedger.checkpoint(of: projection.name, generation: generation, on: connection, forUpdate: true)
        let events = try await gaplessEvents(after: checkpoint, through: target, provided: provided, on: connection)
        var rows = ProjectionRows<P.Row>()
        let fold = try await ProjectionBatch(projection: projection).fold(
            events, after: checkpoint, into: &rows, loadingFrom: PostgresRowSource(executor: connection, generation: generation)
        )
        var outcome = Outcome(fold: fold)
        outcome.rowsWritten = try await ProjectionWriter.write(fold.changes, of: projection, generation: generation, on: connection)
        try await record(fold.deadLetters, on: connection)
        try await ProjectionLedger.setCheckpoint(fold.checkpoint, of: projection.name, generation: generation, on: connection)
        return outcome
    }

    /// Events `checkpoint + 1 … target`, from `provided` where it has them, else from Postgres.
    private func gaplessEvents(
        after checkpoint: UInt64, through target: UInt64, provided: [UInt64: SequencedEvent], on connection: PostgresConnection
    ) async throws -> [SequencedEvent] {
        guard target > checkpoint else { return [] }
        var events: [SequencedEvent] = []
        events.reserveCapacity(Int(target - checkpoint))
        var next = checkpoint + 1
        while next <= target {
            if let given = provided[next] {
                events.append(given)
                next += 1
                continue
            }
            let page = try await EventSequence.read(after: next - 1, limit: Int(min(UInt64(pageSize), target - next + 1)), on: connection)
            guard let first = page.first, first.globalSequence == next else { break }
            for event in page where event.globalSequence <= target && event.globalSequence == next {
                events.append(event)
                next += 1
            }
        }
        return events
    }

    func record(_ deadLetters: [(event: SequencedEvent, error: String)], on connection: PostgresConnection) async throws {
        for (event, error) in deadLetters {
            try await ProjectionLedger.recordDeadLetter(event, projection: projection.name, error: error, attempts: 1, on: connection)
        }
    }

    /// Counts and logs dead letters once their transaction committed (a retried batch
    /// would otherwise count them twice).
    func reportCommitted(_ deadLetters: [(event: SequencedEvent, error: String)]) {
        for (event, error) in deadLetters {
            metrics?.deadLettered(projection.name)
            logger.error("Poison event", metadata: [
                "projection": "\(projection.name)", "sequence": "\(event.globalSequence)",
                "event.type": "\(event.event.type)", "error": "\(error)", "policy": "\(projection.poisonPolicy)",
            ])
        }
    }
}

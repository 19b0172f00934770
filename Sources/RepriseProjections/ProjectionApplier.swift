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

    /// Rows a live projector keeps between batches, so that a key it touched recently is
    /// not loaded (and decoded) again. Valid only at `checkpoint` of `generation`: if the
    /// checkpoint moved otherwise (another instance applied a batch, a rebuild swapped),
    /// the rows are dropped and loaded afresh.
    struct Resident {
        var generation: Int
        var checkpoint: UInt64
        var rows: ProjectionRows<P.Row>
    }

    /// Folds the events after the checkpoint through `target`, in the caller's transaction.
    /// `resident`: rows kept from earlier batches (nil: load everything); on return it holds
    /// this batch's rows, which become valid once the caller commits (`committed(_:)`).
    func apply(
        through target: UInt64, provided: [UInt64: SequencedEvent], generation: Int, on connection: PostgresConnection,
        resident: inout Resident?
    ) async throws -> Outcome {
        let checkpoint = try await ProjectionLedger.checkpoint(of: projection.name, generation: generation, on: connection, forUpdate: true)
        var rows = ProjectionRows<P.Row>()
        if let kept = resident, kept.generation == generation, kept.checkpoint == checkpoint { rows = kept.rows }
        resident = nil
        let events = try await gaplessEvents(after: checkpoint, through: target, provided: provided, on: connection)
        let fold = try await ProjectionBatch(projection: projection).fold(
            events, after: checkpoint, into: &rows, loadingFrom: PostgresRowSource(executor: connection, generation: generation)
        )
        var outcome = Outcome(fold: fold)
        outcome.rowsWritten = try await ProjectionWriter.write(fold.changes, of: projection, generation: generation, on: connection)
        try await record(fold.deadLetters, on: connection)
        try await ProjectionLedger.setCheckpoint(fold.checkpoint, of: projection.name, generation: generation, on: connection)
        rows.markClean()
        resident = Resident(generation: generation, checkpoint: fold.checkpoint, rows: rows)
        return outcome
    }

    /// Without resident rows: verifies and rebuild catch-ups.
    func apply(
        through target: UInt64, provided: [UInt64: SequencedEvent], generation: Int, on connection: PostgresConnection
    ) async throws -> Outcome {
        var none: Resident?
        return try await apply(through: target, provided: provided, generation: generation, on: connection, resident: &none)
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

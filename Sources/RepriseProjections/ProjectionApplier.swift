import Logging
import Postgres
import RepriseEventLog
import RepriseEventStore

/// Applies the log to one generation of one projection, inside a transaction the caller
/// opened, and moves its checkpoint in the same transaction.
///
/// Events come from NATS (`provided`) where the caller has them; any sequence missing
/// from them (a message that did not decode, a consumer that started late, a generation
/// swapped in ahead) is read from Postgres, so the model never skips an event. Events at
/// or below the checkpoint are skipped: that is what makes redelivery harmless.
struct ProjectionApplier<P: Projection> {
    let projection: P
    let metrics: ProjectorMetrics?
    let logger: Logger
    /// Tries per event before it counts as poison. Retries run in the same transaction,
    /// each after rolling back to a savepoint, so a failed try leaves nothing behind.
    let maxAttempts = 3
    let pageSize: Int

    struct Outcome {
        var checkpoint: UInt64
        var applied = 0
        var deadLettered = 0
        /// Set when the policy is `.stop` and this event is poison.
        var stoppedAt: UInt64?
        var lastRecordedAtMicroseconds: Int64?
        /// Keys `apply` marked as changed.
        var changedKeys: Set<String> = []
    }

    func apply(
        through target: UInt64, provided: [UInt64: SequencedEvent], generation: Int, on connection: PostgresConnection
    ) async throws -> Outcome {
        let context = ProjectionContext(connection: connection, generation: generation, tables: projection.tables)
        var outcome = Outcome(checkpoint: try await ProjectionLedger.checkpoint(
            of: projection.name, generation: generation, on: connection, forUpdate: true
        ))
        var page: [SequencedEvent] = []
        var pageIndex = 0
        while outcome.checkpoint < target, outcome.stoppedAt == nil {
            let next = outcome.checkpoint + 1
            let event: SequencedEvent
            if let given = provided[next] {
                event = given
            } else {
                if pageIndex >= page.count || page[pageIndex].globalSequence != next {
                    page = try await EventSequence.read(
                        after: outcome.checkpoint, limit: Int(min(UInt64(pageSize), target - outcome.checkpoint)), on: connection
                    )
                    pageIndex = 0
                    guard let first = page.first, first.globalSequence == next else { break }
                }
                event = page[pageIndex]
                pageIndex += 1
            }
            try await applyOne(event, context: context, outcome: &outcome)
        }
        try await ProjectionLedger.setCheckpoint(outcome.checkpoint, of: projection.name, generation: generation, on: connection)
        outcome.changedKeys = context.takeChanged()
        return outcome
    }

    /// Applies the whole numbered log after the checkpoint, page by page, one transaction
    /// per page: how rebuilds read the log straight from Postgres.
    func applyAll(generation: Int, upTo limit: UInt64? = nil, on pool: PostgresConnectionPool) async throws -> Outcome {
        var total = Outcome(checkpoint: 0)
        while true {
            let page = try await pool.withTransaction { connection in
                let checkpoint = try await ProjectionLedger.checkpoint(of: projection.name, generation: generation, on: connection)
                if let limit, checkpoint >= limit { return Outcome(checkpoint: checkpoint) }
                let events = try await EventSequence.read(after: checkpoint, limit: pageSize, on: connection)
                let wanted = limit.map { limit in events.filter { $0.globalSequence <= limit } } ?? events
                guard let last = wanted.last else { return Outcome(checkpoint: checkpoint) }
                let provided = Dictionary(uniqueKeysWithValues: wanted.map { ($0.globalSequence, $0) })
                return try await apply(through: last.globalSequence, provided: provided, generation: generation, on: connection)
            }
            total.checkpoint = page.checkpoint
            total.applied += page.applied
            total.deadLettered += page.deadLettered
            if let stopped = page.stoppedAt {
                total.stoppedAt = stopped
                return total
            }
            if page.applied == 0, page.deadLettered == 0 { return total }
        }
    }

    private func applyOne(_ event: SequencedEvent, context: ProjectionContext, outcome: inout Outcome) async throws {
        let connection = context.connection
        var lastError: (any Error)?
        for _ in 1...maxAttempts {
            try await connection.query("SAVEPOINT reprise_apply")
            do {
                try await projection.apply(event, in: context)
                try await connection.query("RELEASE SAVEPOINT reprise_apply")
                lastError = nil
                break
            } catch {
                // A lost connection is not the event's fault: this throws, and the batch is retried.
                try await connection.query("ROLLBACK TO SAVEPOINT reprise_apply")
                lastError = error
            }
        }
        if let lastError {
            let message = "\(lastError)"
            try await ProjectionLedger.recordDeadLetter(
                event, projection: projection.name, error: message, attempts: maxAttempts, on: connection
            )
            outcome.deadLettered += 1
            metrics?.deadLettered(projection.name)
            logger.error("Poison event", metadata: [
                "projection": "\(projection.name)", "sequence": "\(event.globalSequence)",
                "event.type": "\(event.event.type)", "error": "\(message)", "policy": "\(projection.poisonPolicy)",
            ])
            if projection.poisonPolicy == .stop {
                outcome.stoppedAt = event.globalSequence
                return
            }
        } else {
            outcome.applied += 1
        }
        outcome.checkpoint = event.globalSequence
        outcome.lastRecordedAtMicroseconds = event.event.recordedAtMicroseconds
    }
}

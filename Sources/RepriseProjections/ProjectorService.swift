import Foundation
import Logging
import NATS
import Postgres
import RepriseEventLog
import RepriseProjectionCore
import RepriseRuntime
import ServiceLifecycle

/// Where a projector reads and how it batches.
public struct ProjectorConfiguration: Sendable {
    public var streamName: String
    /// The consumer filters `<prefix>.>`: every event.
    public var subjectPrefix: String
    /// Messages fetched, and applied in one transaction, at a time.
    public var fetchBatch: Int
    public var fetchTimeout: Duration
    /// Events read per page when reading the log from Postgres.
    public var pageSize: Int
    /// Unacknowledged messages the server lets the consumer hold.
    public var maxAckPending: Int
    /// Most rows the projector keeps in memory between batches; past it they are dropped
    /// and loaded again as batches need them.
    public var residentRows: Int

    public init(
        streamName: String = "EVENTS", subjectPrefix: String = EventMessage.defaultSubjectPrefix,
        fetchBatch: Int = 500, fetchTimeout: Duration = .milliseconds(500), pageSize: Int = 5000, maxAckPending: Int = 20_000,
        residentRows: Int = 100_000
    ) {
        self.residentRows = residentRows
        self.streamName = streamName
        self.subjectPrefix = subjectPrefix
        self.fetchBatch = fetchBatch
        self.fetchTimeout = fetchTimeout
        self.pageSize = pageSize
        self.maxAckPending = maxAckPending
    }

    /// Each projection has a durable consumer of its own.
    public func consumerName(for projection: some Projection) -> String { "projector-\(projection.name)" }
}

/// Keeps one projection's live read model up to date from its durable consumer.
///
/// Per batch: one transaction applies the events and moves the checkpoint; the messages
/// are acked only after it commits; then `didCommit` publishes what changed. A crash
/// anywhere replays at most one batch, which the checkpoint skips.
public final class ProjectorService<P: Projection>: Service {
    private let projection: P
    private let pool: PostgresConnectionPool
    private let jetStream: JetStreamContext
    private let configuration: ProjectorConfiguration
    private let metrics: ProjectorMetrics
    private let publisher: (any ProjectionPublisher)?
    private let logger: Logger

    public init(
        projection: P, pool: PostgresConnectionPool, jetStream: JetStreamContext,
        configuration: ProjectorConfiguration = .init(), metrics: ProjectorMetrics, publisher: (any ProjectionPublisher)? = nil,
        logger: Logger
    ) {
        self.projection = projection
        self.pool = pool
        self.jetStream = jetStream
        self.configuration = configuration
        self.metrics = metrics
        self.publisher = publisher
        var logger = logger
        logger[metadataKey: "projection"] = "\(projection.name)"
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await self.runUntilCancelled()
        }
    }

    /// Consumes until cancelled; starts over after a failure of either server. At a
    /// poison event under the `stop` policy it stays stopped (and says so in its metric)
    /// until cancelled.
    public func runUntilCancelled() async throws {
        metrics.stopped(projection.name, false)
        let logger = logger
        do {
            // `withRestarts` returns only when cancelled: `consume` ends no other way.
            while !Task.isCancelled {
                _ = try await withRestarts(
                    policy: .services,
                    isFatal: { ($0 as? ProjectionError)?.code == .stoppedAtPoison },
                    onFailure: { [metrics, projection] failure in
                        // Never an event's fault: the batch is retried whole, nothing is dead-lettered.
                        metrics.failed(projection.name)
                        logger.warning("Projector failed; starting over", metadata: [
                            "error": "\(failure.error)", "retry.in": "\(failure.delay)",
                        ])
                    }
                ) { progress in
                    let live = try await ProjectionLedger.ensureRegistered(projection, on: pool)
                    try await publisher?.publish(nil, generation: live, on: pool)
                    let subscription = try await subscribe()
                    do {
                        try await consume(subscription) { progress.record() }
                    } catch {
                        await subscription.close()
                        throw error
                    }
                    await subscription.close()
                }
            }
        } catch let error as ProjectionError where error.code == .stoppedAtPoison {
            metrics.stopped(projection.name, true)
            logger.critical("Projector stopped at a poison event; see projection_dead_letters", metadata: ["error": "\(error)"])
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(1)) }
        }
    }

    /// Binds the durable consumer, creating it to start after the live checkpoint.
    private func subscribe() async throws -> PullSubscription {
        let name = configuration.consumerName(for: projection)
        do {
            _ = try await jetStream.consumerInfo(stream: configuration.streamName, name: name)
        } catch let error as NATSError where error.code == .consumerNotFound || error.code == .notFound {
            let live = try await ProjectionLedger.ensureRegistered(projection, on: pool)
            let checkpoint = try await ProjectionLedger.checkpoint(of: projection.name, generation: live, on: pool)
            _ = try await jetStream.addConsumer(stream: configuration.streamName, ConsumerConfiguration(
                durableName: name,
                filterSubject: EventMessage.allEvents(prefix: configuration.subjectPrefix),
                ackPolicy: .explicit,
                maxAckPending: configuration.maxAckPending,
                deliverPolicy: .startSequence(checkpoint + 1)
            ))
            logger.info("Created the durable consumer", metadata: ["consumer": "\(name)", "start": "\(checkpoint + 1)"])
        }
        return try await jetStream.pullSubscribe(stream: configuration.streamName, consumer: name)
    }

    private func consume(_ subscription: PullSubscription, healthy: () -> Void) async throws {
        let applier = ProjectionApplier(projection: projection, metrics: metrics, logger: logger, pageSize: configuration.pageSize)
        var publishPending = false
        // Rows kept between batches, at most `residentRows` keys; dropped on any failure
        // (this function throws, and the restart starts without them).
        var resident: ProjectionApplier<P>.Resident?
        while !Task.isCancelled {
            // A long poll for a whole batch returns only when the batch is full or the poll
            // expires: wait for one message, then take what else is already waiting.
            let clock = ContinuousClock()
            var messages = try await subscription.fetch(batch: 1, timeout: configuration.fetchTimeout)
            let fetchStarted = clock.now
            // The first message says how many more wait. Ask for exactly those (up to a
            // batch): the fetch returns as soon as they arrive, so a backlog goes in full
            // batches, while a trickle is not held back waiting for a batch to fill.
            if let first = messages.first, configuration.fetchBatch > 1 {
                let waiting = Int(clamping: first.metadata.numPending)
                if waiting > 0 {
                    messages += try await subscription.fetch(batch: min(waiting, configuration.fetchBatch - 1), timeout: configuration.fetchTimeout)
                }
            }
            guard let last = messages.last else {
                // Idle: a publication that failed on the last batch is retried now, not
                // when the next event happens to come.
                if publishPending, let generation = try await liveGeneration() {
                    publishPending = await publish(nil, generation: generation)
                }
                continue
            }
            let fetched = clock.now
            var provided: [UInt64: SequencedEvent] = [:]
            var target: UInt64 = 0
            for message in messages {
                let sequence = message.metadata.streamSequence
                target = max(target, sequence)
                do {
                    provided[sequence] = try EventMessage.decode(
                        subject: message.subject, headers: message.headers, payload: message.payload, streamSequence: sequence
                    )
                } catch {
                    // Postgres has the event; the applier reads it from there.
                    logger.warning("Message does not decode; reading the event from Postgres", metadata: [
                        "sequence": "\(sequence)", "error": "\(error)",
                    ])
                }
            }
            var kept = resident
            resident = nil
            let (outcome, generation, after) = try await pool.withTransaction { connection in
                guard let live = try await ProjectionLedger.liveGeneration(of: projection.name, on: connection, lock: .share) else {
                    throw ProjectionError(code: .unknownProjection, message: "\(projection.name) is not registered")
                }
                let outcome = try await applier.apply(through: target, provided: provided, generation: live, on: connection, resident: &kept)
                return (outcome, live, kept)
            }
            // Committed: the rows are what the tables hold now.
            if let after, after.rows.count <= configuration.residentRows { resident = after }
            let committed = clock.now
            for message in messages { try? message.ack() }
            healthy()
            applier.reportCommitted(outcome.fold.deadLetters)
            metrics.applied(projection.name, count: outcome.fold.applied)
            metrics.checkpoint(projection.name, outcome.checkpoint)
            let waiting = last.metadata.numPending
            let age = outcome.fold.lastRecordedAtMicroseconds.map { Date().timeIntervalSince1970 - Double($0) / 1_000_000 } ?? 0
            metrics.lag(projection.name, events: waiting, seconds: waiting > 0 ? max(0, age) : 0)

            let keys = projection.publications(of: outcome.fold.changes)
            if !keys.isEmpty || publishPending {
                publishPending = await publish(publishPending ? nil : keys, generation: generation)
            }
            logger.debug("Batch applied", metadata: [
                "batch.events": "\(messages.count)", "batch.rows_written": "\(outcome.rowsWritten)",
                "batch.fetch_ms": "\(Int((fetched - fetchStarted).milliseconds))", "batch.apply_ms": "\(Int((committed - fetched).milliseconds))",
                "batch.publish_ms": "\(Int((clock.now - committed).milliseconds))", "batch.published_keys": "\(keys.count)",
            ])
            if let stopped = outcome.fold.stoppedAt {
                throw ProjectionError(code: .stoppedAtPoison, message: "\(projection.name) stopped at event \(stopped)")
            }
        }
    }

    /// Publishes `keys` (nil: everything); returns whether a full publication is still owed.
    private func publish(_ keys: Set<String>?, generation: Int) async -> Bool {
        guard let publisher else { return false }
        do {
            try await publisher.publish(keys, generation: generation, on: pool)
            return false
        } catch {
            // The model is committed; publish everything again once it works (or, if this
            // projector is stopping, when it next starts).
            if !Task.isCancelled {
                logger.warning("Publishing changes failed; will publish the whole model again", metadata: ["error": "\(error)"])
            }
            return true
        }
    }

    private func liveGeneration() async throws -> Int? {
        try await pool.withConnection { try await ProjectionLedger.liveGeneration(of: projection.name, on: $0, lock: .none) }
    }
}

import Foundation
import Logging
import NATS
import Postgres
import RepriseEventLog
import RepriseEventStore
import ServiceLifecycle

/// Publishes the event log to JetStream, in order, each event once in effect.
///
/// How it stays exact:
/// - **Numbering.** The leader numbers the log's stable prefix in Postgres
///   (`event_sequence`), then publishes event N as stream message N, with
///   `Nats-Msg-Id` = event id and `Nats-Expected-Last-Sequence` = N − 1. Postgres is numbered
///   first, so the stream can only lag it, never lead it.
/// - **The stream tail is the checkpoint.** On start, after any failed publish, and every
///   `streamCheckInterval` while idle, the relay reads the stream's last sequence and
///   publishes from there. A relay killed anywhere thus resumes exactly where the stream
///   ends; an event whose ack was lost is dropped by its message id and acked with its
///   original sequence. A stream that lost its tail, or was recreated empty, is refilled
///   from Postgres the same way.
/// - **One leader.** The leader holds a session advisory lock for as long as its Postgres
///   connection lives; a second relay waits as a standby. Even a second publisher could not
///   reorder the stream: the expected-last-sequence header makes one of them fail.
/// - **Latency.** A trigger notifies `reprise_appended` on every commit that appends; the
///   relay wakes on it and also polls every `pollInterval` in case a notification is lost.
public final class Relay: Service {
    private let postgres: PostgresConfiguration
    private let jetStream: JetStreamContext
    private let configuration: RelayConfiguration
    private let logger: Logger
    private let metrics: RelayMetrics

    public init(
        postgres: PostgresConfiguration, jetStream: JetStreamContext, configuration: RelayConfiguration = .init(),
        metrics: RelayMetrics, logger: Logger
    ) {
        self.postgres = postgres
        self.jetStream = jetStream
        self.configuration = configuration
        self.metrics = metrics
        var logger = logger
        logger[metadataKey: "service"] = "relay"
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await self.runUntilCancelled()
        }
    }

    /// Leads when it can, stands by when another relay leads, and starts over after a
    /// failure of either server. Only a stream that contradicts the log stops it.
    public func runUntilCancelled() async throws {
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                try await PostgresConnection.withConnection(postgres, logger: logger) { connection in
                    guard try await self.becomeLeader(on: connection) else { return }
                    self.metrics.leader.set(Int64(1))
                    defer { self.metrics.leader.set(Int64(0)) }
                    self.logger.info("Relay is the leader")
                    try await self.lead(on: connection)
                }
                backoff = .milliseconds(100)
                if !Task.isCancelled { try? await Task.sleep(for: configuration.leaderRetryInterval) }
            } catch let error as RelayError {
                logger.critical("Relay stopped: the stream contradicts the log", metadata: ["error": "\(error)"])
                throw error
            } catch {
                if Task.isCancelled { break }
                logger.warning("Relay failed; starting over", metadata: ["error": "\(error)", "retry.in": "\(backoff)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }

    /// Takes the leader lock, waiting as a standby while another relay holds it. False
    /// when cancelled first.
    private func becomeLeader(on connection: PostgresConnection) async throws -> Bool {
        var reportedStandby = false
        while !Task.isCancelled {
            let rows = try await connection.query(
                "SELECT pg_try_advisory_lock(hashtextextended('reprise:relay:' || current_schema(), 0))"
            )
            if try rows.first?.decode(Bool.self, at: 0) == true { return true }
            if !reportedStandby {
                logger.info("Another relay leads; standing by")
                reportedStandby = true
            }
            try? await Task.sleep(for: configuration.leaderRetryInterval)
        }
        return false
    }

    private func lead(on connection: PostgresConnection) async throws {
        let schema = try await connection.query("SELECT current_schema()").first?.decode(String.self, at: 0) ?? "public"
        let listener = try await PostgresConnection.connect(postgres, logger: logger)
        defer { Task { await listener.close() } }
        let notifications = try await listener.listen(to: ["reprise_appended"])
        let wake = WakeSignal()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await notification in notifications where notification.payload == schema {
                    wake.ring()
                }
            }
            group.addTask {
                try await self.publishLoop(on: connection, wake: wake)
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private func publishLoop(on connection: PostgresConnection, wake: WakeSignal) async throws {
        var published = try await resync(on: connection, previouslyPublished: nil)
        var assigned = try await EventSequence.lastAssigned(on: connection)
        var lastCheck = ContinuousClock.now
        // After a wake-up that found nothing stable yet (an older transaction still holds
        // the visibility horizon), look again soon rather than at the next poll.
        var retryDelay: Duration?
        // Sent but not yet confirmed. The next batch is read from Postgres while these
        // acks come in: the two servers work at the same time.
        var inFlight: (events: [SequencedEvent], refill: Bool)?

        while !Task.isCancelled {
            let batch: [SequencedEvent]
            let refilling = published < assigned
            if refilling {
                batch = try await EventSequence.read(after: published, limit: configuration.batchSize, on: connection)
            } else {
                batch = try await EventSequence.assignNext(limit: configuration.batchSize, on: connection)
                if let last = batch.last { assigned = last.globalSequence }
            }

            if let sent = inFlight {
                inFlight = nil
                guard try await confirm(sent.events) else {
                    // What this batch holds is numbered; the refill path re-reads it.
                    published = try await resync(on: connection, previouslyPublished: published)
                    lastCheck = .now
                    continue
                }
                if sent.refill { metrics.republished.increment(by: Int64(sent.events.count)) }
            }

            if batch.isEmpty {
                if ContinuousClock.now - lastCheck >= configuration.streamCheckInterval {
                    published = try await resync(on: connection, previouslyPublished: published)
                    lastCheck = .now
                    continue
                }
                if let delay = retryDelay {
                    try? await Task.sleep(for: delay)
                    retryDelay = delay < .milliseconds(50) ? delay * 2 : nil
                } else if await wake.wait(timeout: configuration.pollInterval) {
                    retryDelay = .milliseconds(1)
                }
                continue
            }
            retryDelay = nil
            published = try send(batch, after: published)
            inFlight = (batch, refilling)
        }
        if let sent = inFlight { _ = try? await confirm(sent.events) }
    }

    /// Publishes `batch` (events `published + 1 …`) without waiting, and returns the tail
    /// the stream will have once they are acked.
    private func send(_ batch: [SequencedEvent], after published: UInt64) throws -> UInt64 {
        var expected = published
        for event in batch {
            guard event.globalSequence == expected + 1 else {
                throw RelayError(code: .outOfOrder, message: "event \(event.globalSequence) does not follow \(expected)")
            }
            try jetStream.publishAsync(
                subject: EventMessage.subject(forType: event.event.type, prefix: configuration.subjectPrefix),
                payload: event.event.data,
                headers: EventMessage.headers(for: event),
                messageID: EventMessage.messageID(of: event),
                expectedLastSequence: expected
            )
            expected += 1
        }
        return expected
    }

    /// Waits for the acks of `batch`: true when each event landed at its own sequence,
    /// false when some publish failed and the stream's tail must be read again.
    private func confirm(_ batch: [SequencedEvent]) async throws -> Bool {
        let result = try await jetStream.waitForPublishes(timeout: configuration.publishTimeout)
        if let failure = result.failures.first {
            logger.warning("Publishing failed; re-reading the stream tail", metadata: [
                "failures": "\(result.failures.count)", "first.error": "\(failure.error)",
            ])
            return false
        }
        for (ack, event) in zip(result.acks, batch) where ack.sequence != event.globalSequence {
            throw RelayError(
                code: .unexpectedAck,
                message: "event \(event.globalSequence) (\(event.event.eventID.lowercasedText)) was acked as message \(ack.sequence)"
            )
        }
        if let last = batch.last {
            metrics.published.increment(by: Int64(batch.count))
            metrics.lastPublished.set(Int64(last.globalSequence))
        }
        return true
    }

    /// Reads the stream's tail, checks that it is the log's, and returns it: the next
    /// event to publish is the one after it.
    private func resync(on connection: PostgresConnection, previouslyPublished: UInt64?) async throws -> UInt64 {
        metrics.resyncs.increment()
        // Acks of an abandoned batch would otherwise be taken for the next batch's.
        _ = try? await jetStream.waitForPublishes(timeout: .seconds(1))

        let info: StreamInfo
        do {
            info = try await jetStream.streamInfo(name: configuration.streamName)
        } catch let error as NATSError where error.code == .streamNotFound || error.code == .notFound {
            info = try await jetStream.createStream(configuration.streamConfiguration)
            logger.notice("Created the event stream", metadata: ["stream": "\(configuration.streamName)"])
        }
        let tail = info.state.lastSequence
        let assigned = try await EventSequence.lastAssigned(on: connection)
        guard tail <= assigned else {
            throw RelayError(
                code: .streamAhead,
                message: "stream \(configuration.streamName) ends at \(tail) but Postgres has numbered only \(assigned) events"
            )
        }
        if tail > 0 {
            let message = try await jetStream.getMessage(stream: configuration.streamName, sequence: tail)
            let event = try await EventSequence.read(after: tail - 1, limit: 1, on: connection).first
            guard let event, message.headers[EventMessage.Header.eventID] == event.event.eventID.lowercasedText else {
                throw RelayError(
                    code: .streamDiverged,
                    message: "message \(tail) of \(configuration.streamName) is not event \(tail) of the log"
                )
            }
        }
        if let previouslyPublished, tail < previouslyPublished {
            logger.warning("The stream lost events; refilling them from Postgres", metadata: [
                "stream.tail": "\(tail)", "published": "\(previouslyPublished)",
            ])
        } else if previouslyPublished == nil, tail < assigned {
            logger.info("Resuming publication", metadata: ["stream.tail": "\(tail)", "numbered": "\(assigned)"])
        }
        metrics.lastPublished.set(Int64(tail))
        return tail
    }
}

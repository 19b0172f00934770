import Foundation
import Logging
import NATS
import Postgres
import RepriseEventLog
import RepriseEventStore
import RepriseRuntime
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
/// - **Halting.** A stream that contradicts the log (a message the relay did not publish,
///   or a log that lost numbered events) is never "repaired" by guessing. The relay halts:
///   it publishes nothing, records the status in `relay_status` (readiness reports the
///   fan-out as degraded), sets `reprise_relay_halted`, and checks the stream again every
///   `haltedRecheckInterval`. It never stops the process: commands are still accepted into
///   the log. Once an operator has rebuilt the stream (`reprise stream rebuild`), the next
///   check finds it empty and the relay refills it from Postgres.
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
    /// failure of either server. A stream that contradicts the log halts it until the
    /// stream agrees again; it returns only when cancelled.
    public func runUntilCancelled() async throws {
        let logger = logger
        var halted: RelayError?
        while !Task.isCancelled {
            do {
                _ = try await withRestarts(
                    policy: .services,
                    isFatal: { $0 is RelayError },
                    onFailure: { failure in
                        logger.warning("Relay failed; starting over", metadata: [
                            "error": "\(failure.error)", "retry.in": "\(failure.delay)",
                        ])
                    }
                ) { progress in
                    try await PostgresConnection.withConnection(postgres, logger: logger) { connection in
                        guard try await self.becomeLeader(on: connection, progress: progress) else { return }
                        self.metrics.leader.set(Int64(1))
                        defer { self.metrics.leader.set(Int64(0)) }
                        self.logger.info("Relay is the leader")
                        try await self.lead(on: connection, progress: progress)
                    }
                }
            } catch let error as RelayError {
                if halted?.code != error.code {
                    logger.critical("Relay halted: the stream contradicts the log; rebuild it with `reprise stream rebuild`", metadata: [
                        "error.code": "\(error.code)", "error": "\(error.message)",
                    ])
                }
                halted = error
                metrics.halted.set(Int64(1))
                await recordStatus(.halted(error))
                try? await Task.sleep(for: configuration.haltedRecheckInterval)
                continue
            }
            halted = nil
            // The leadership ended without a failure (its notifications ended): try again
            // for it, as a standby would.
            if !Task.isCancelled { try? await Task.sleep(for: configuration.leaderRetryInterval) }
        }
    }

    /// Takes the leader lock, waiting as a standby while another relay holds it. False
    /// when cancelled first.
    private func becomeLeader(on connection: PostgresConnection, progress: RestartProgress) async throws -> Bool {
        var reportedStandby = false
        while !Task.isCancelled {
            let rows = try await connection.query(
                "SELECT pg_try_advisory_lock(hashtextextended('reprise:relay:' || current_schema(), 0))"
            )
            if try rows.first?.decode(Bool.self, at: 0) == true { return true }
            // Standing by is healthy: a later failure starts the backoff over. Taking the lock
            // is not progress yet: a leader that fails at once must back off.
            progress.record()
            if !reportedStandby {
                logger.info("Another relay leads; standing by")
                reportedStandby = true
            }
            try? await Task.sleep(for: configuration.leaderRetryInterval)
        }
        return false
    }

    private func lead(on connection: PostgresConnection, progress: RestartProgress) async throws {
        let schema = try await connection.query("SELECT current_schema()").first?.decode(String.self, at: 0) ?? "public"
        // A second session for LISTEN, closed before the leadership ends on every path.
        try await PostgresConnection.withConnection(postgres, logger: logger) { listener in
            let notifications = try await listener.listen(to: ["reprise_appended"])
            let wake = WakeSignal()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await notification in notifications where notification.payload == schema {
                        wake.ring()
                    }
                }
                group.addTask {
                    try await self.publishLoop(on: connection, wake: wake, progress: progress)
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// Runs `RelayPublishState`'s actions until cancelled; then waits for the acks of what
    /// was sent, so the metrics count it.
    private func publishLoop(on connection: PostgresConnection, wake: WakeSignal, progress: RestartProgress) async throws {
        var state = RelayPublishState(configuration: configuration, now: .now)
        var action = state.start()
        while !Task.isCancelled {
            action = try await perform(action, state: &state, on: connection, wake: wake, progress: progress)
        }
        if let events = state.inFlightEvents,
           let acked = try? await perform(.awaitAcks(events), state: &state, on: connection, wake: wake, progress: progress),
           case .recordPublished = acked {
            _ = try? await perform(acked, state: &state, on: connection, wake: wake, progress: progress)
        }
    }

    /// Does `action`'s I/O and reports it to `state`; returns what to do next.
    private func perform(
        _ action: RelayPublishState.Action, state: inout RelayPublishState, on connection: PostgresConnection,
        wake: WakeSignal, progress: RestartProgress
    ) async throws -> RelayPublishState.Action {
        switch action {
        case .readTail:
            metrics.resyncs.increment()
            // Acks of an abandoned batch would otherwise be taken for the next batch's.
            _ = try? await jetStream.waitForPublishes(timeout: .seconds(1))
            let tail = try await streamTail()
            let numbered = try await EventSequence.lastAssigned(on: connection)
            return try state.tailRead(lastSequence: tail, numbered: numbered, now: .now)

        case .compareTail(let sequence):
            let message = try await jetStream.getMessage(stream: configuration.streamName, sequence: sequence)
            let event = try await EventSequence.read(after: sequence - 1, limit: 1, on: connection).first
            return try state.tailCompared(
                streamEventID: EventMessage.eventID(in: message.headers), logEventID: event?.event.eventID.lowercasedText,
                now: .now
            )

        case .resumeFromTail(let tail, let note):
            switch note {
            case .lostEvents(let published)?:
                logger.warning("The stream lost events; refilling them from Postgres", metadata: [
                    "stream.tail": "\(tail)", "published": "\(published)",
                ])
            case .resuming(let numbered)?:
                logger.info("Resuming publication", metadata: ["stream.tail": "\(tail)", "numbered": "\(numbered)"])
            case nil:
                break
            }
            metrics.lastPublished.set(Int64(tail))
            metrics.halted.set(Int64(0))
            // Both servers answered and the stream is the log's.
            try await FanoutStatus.publishing.record(on: connection)
            progress.record()
            return try state.next(now: .now)

        case .readNumbered(let after, let limit):
            let batch = try await EventSequence.read(after: after, limit: limit, on: connection)
            return try state.batchRead(batch, now: .now)

        case .assignNext(let limit):
            let batch = try await EventSequence.assignNext(limit: limit, on: connection)
            return try state.batchRead(batch, now: .now)

        case .awaitAcks:
            let result = try await jetStream.waitForPublishes(timeout: configuration.publishTimeout)
            if let failure = result.failures.first {
                logger.warning("Publishing failed; re-reading the stream tail", metadata: [
                    "failures": "\(result.failures.count)", "first.error": "\(failure.error)",
                ])
                return state.publishFailed()
            }
            return try state.acksReceived(result.acks.map(\.sequence))

        case .recordPublished(let count, let through, let refill):
            metrics.published.increment(by: Int64(count))
            metrics.lastPublished.set(Int64(through))
            if refill { metrics.republished.increment(by: Int64(count)) }
            progress.record()
            return try state.next(now: .now)

        case .publish(let events, let after):
            // What follows a publish is, while there is work, the next batch's read. It runs
            // while this batch is handed to libnats, so Postgres numbers and this process
            // decodes the next batch as the current one goes out. The state sees the same
            // calls in the same order (`next`, then `batchRead`); only the I/O overlaps. A
            // read whose publish failed is a read after a crash: the tail check refills it.
            let following = try state.next(now: .now)
            let read: @Sendable () async throws -> [SequencedEvent]
            switch following {
            case .assignNext(let limit):
                read = { try await EventSequence.assignNext(limit: limit, on: connection) }
            case .readNumbered(let after, let limit):
                read = { try await EventSequence.read(after: after, limit: limit, on: connection) }
            default:
                try publish(events, after: after)
                return following
            }
            async let batch = read()
            try publish(events, after: after)
            return try state.batchRead(try await batch, now: .now)

        case .sleep(let delay):
            try? await Task.sleep(for: delay)
            return try state.next(now: .now)

        case .waitForWake(let timeout):
            let rung = await wake.wait(timeout: timeout)
            return try state.woke(rung: rung, now: .now)
        }
    }

    /// Hands `events` to libnats without waiting, event N expecting N − 1 as the stream's
    /// last sequence and event N − 1's id as its last message id (`after` for the first).
    private func publish(_ events: [SequencedEvent], after: String?) throws {
        let prefix = configuration.subjectPrefix
        // A log has a few dozen event types: their subjects are built once per batch, not per event.
        var subjects: [String: String] = [:]
        var previousEventID = after
        for event in events {
            let type = event.event.type
            let subject: String
            if let known = subjects[type] {
                subject = known
            } else {
                subject = EventMessage.subject(forType: type, prefix: prefix)
                subjects[type] = subject
            }
            var headers = EventMessage.headerFields(for: event)
            if let previousEventID { headers.append((name: EventMessage.Header.expectedLastMessageID, value: previousEventID)) }
            let messageID = EventMessage.messageID(of: event)
            try jetStream.publishAsync(
                subject: subject,
                payload: event.event.data,
                headerFields: headers,
                messageID: messageID,
                expectedLastSequence: event.globalSequence - 1
            )
            previousEventID = messageID
        }
    }

    /// Records a halt on a connection of its own (the leader's is gone with the failure).
    /// Best effort: when Postgres is down too, readiness fails anyway.
    private func recordStatus(_ status: FanoutStatus) async {
        do {
            try await PostgresConnection.withConnection(postgres, logger: logger) { try await status.record(on: $0) }
        } catch {
            logger.warning("Could not record the relay's status", metadata: ["error": "\(error)"])
        }
    }

    /// The stream's last sequence; creates the stream when it does not exist.
    private func streamTail() async throws -> UInt64 {
        do {
            return try await jetStream.streamInfo(name: configuration.streamName).state.lastSequence
        } catch let error as NATSError where error.code == .streamNotFound || error.code == .notFound {
            let info = try await jetStream.createStream(configuration.streamConfiguration)
            logger.notice("Created the event stream", metadata: ["stream": "\(configuration.streamName)"])
            return info.state.lastSequence
        }
    }
}

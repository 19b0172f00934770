import RepriseEventLog

/// The leader's publish loop as a state machine. Transitions do no I/O and read no clock:
/// each returns the next thing to do, `Relay` does it and reports back.
///
/// The cycle: number (or, while refilling, re-read) a batch; while that read runs the
/// previous batch's acks come in, so the batch is held until they are confirmed; then it is
/// published without waiting. A failed publish, an idle `streamCheckInterval` and the start
/// all read the stream's tail again and go on from there, or stop when the stream
/// contradicts the log.
struct RelayPublishState {
    enum Action: Equatable, Sendable {
        /// Wait for stray acks, then read the stream's last sequence and how far Postgres has
        /// numbered; report with `tailRead(lastSequence:numbered:now:)`.
        case readTail
        /// Read message `sequence` of the stream and event `sequence` of the log; report
        /// with `tailCompared(streamEventID:logEventID:now:)`.
        case compareTail(sequence: UInt64)
        /// The stream ends at `tail` and is the log's: record it, log `note`, call `next(now:)`.
        case resumeFromTail(UInt64, note: TailNote?)
        /// Read the numbered events after `after` again; report with `batchRead(_:now:)`.
        case readNumbered(after: UInt64, limit: Int)
        /// Number the next events of the log; report with `batchRead(_:now:)`.
        case assignNext(limit: Int)
        /// Wait for the acks of `events`, published earlier; report with `acksReceived(_:)`
        /// or `publishFailed()`.
        case awaitAcks([SequencedEvent])
        /// The stream acked `count` events, through `through`: count them (as republished
        /// too when `refill`), then call `next(now:)`.
        case recordPublished(count: Int, through: UInt64, refill: Bool)
        /// Publish `events` without waiting, event N expecting N − 1 as the stream's last
        /// sequence and, as its last message id, event N − 1's id (`after` for the first of
        /// them; nil when no message precedes it or the tail check did not learn its id);
        /// then call `next(now:)`.
        case publish([SequencedEvent], after: String?)
        /// Nothing to publish yet: sleep briefly, then call `next(now:)`.
        case sleep(Duration)
        /// Nothing to publish: wait for a notification; report with `woke(rung:now:)`.
        case waitForWake(timeout: Duration)
    }

    /// What a tail check found worth telling the operator.
    enum TailNote: Equatable, Sendable {
        /// At start: the stream lags the numbered log by this many events, now published.
        case resuming(numbered: UInt64)
        /// The stream lost events it had acked (through `published`): refilled from Postgres.
        case lostEvents(published: UInt64)
    }

    private struct Batch {
        var events: [SequencedEvent]
        /// Events already numbered once: published again after a failure or a lost tail.
        var refill: Bool
    }

    private let configuration: RelayConfiguration
    /// The stream's tail once everything sent is acked; nil until the first tail check.
    private var published: UInt64?
    /// The last number assigned in Postgres.
    private var assigned: UInt64 = 0
    /// Where the tail check under way stands: the stream's tail and the log's numbering.
    private var checking: (tail: UInt64, numbered: UInt64)?
    private var lastCheck: ContinuousClock.Instant
    /// After a wake-up that found nothing stable yet (an older transaction still holds the
    /// visibility horizon), look again soon rather than at the next poll.
    private var retryDelay: Duration?
    /// Whether the read under way re-reads numbered events.
    private var readingRefill = false
    /// Sent but not yet confirmed. The next batch is read from Postgres while these acks come
    /// in: the two servers work at the same time.
    private var inFlight: (batch: Batch, through: UInt64)?
    /// Read while `inFlight` was unconfirmed: published once it is.
    private var pending: Batch?
    /// The event id of the stream's message at `published`, once known. Each message names
    /// its predecessor's id as well as its number, so a message someone else slipped into the
    /// stream makes every later publish of the batch fail, rather than letting the rest land
    /// after it with the right numbers and the foreign message standing in for an event.
    private var lastEventID: String?

    init(configuration: RelayConfiguration, now: ContinuousClock.Instant) {
        self.configuration = configuration
        self.lastCheck = now
    }

    /// The events sent and not yet confirmed: what to wait for when the loop stops.
    var inFlightEvents: [SequencedEvent]? { inFlight?.batch.events }

    mutating func start() -> Action {
        .readTail
    }

    /// After an action that reports nothing: go on.
    mutating func next(now: ContinuousClock.Instant) throws(RelayError) -> Action {
        if let batch = pending {
            pending = nil
            return try proceed(with: batch, now: now)
        }
        let refill = (published ?? 0) < assigned
        readingRefill = refill
        return refill
            ? .readNumbered(after: published ?? 0, limit: configuration.batchSize)
            : .assignNext(limit: configuration.batchSize)
    }

    /// The stream ends at `lastSequence`; Postgres has numbered `numbered` events.
    mutating func tailRead(lastSequence tail: UInt64, numbered: UInt64, now: ContinuousClock.Instant) throws(RelayError) -> Action {
        guard tail <= numbered else {
            throw RelayError(
                code: .streamAhead,
                message: "stream \(configuration.streamName) ends at \(tail) but Postgres has numbered only \(numbered) events"
            )
        }
        checking = (tail, numbered)
        guard tail > 0 else {
            lastEventID = nil
            return acceptTail(now: now)
        }
        return .compareTail(sequence: tail)
    }

    /// The event id the stream's last message carries, and that of the log's event at the
    /// same sequence (nil when the log has no such event).
    mutating func tailCompared(streamEventID: String?, logEventID: String?, now: ContinuousClock.Instant) throws(RelayError) -> Action {
        guard let (tail, _) = checking else { preconditionFailure("tailCompared without a tail check under way") }
        guard let logEventID, streamEventID == logEventID else {
            lastEventID = nil
            throw RelayError(
                code: .streamDiverged,
                message: "message \(tail) of \(configuration.streamName) is not event \(tail) of the log"
            )
        }
        lastEventID = logEventID
        return acceptTail(now: now)
    }

    private mutating func acceptTail(now: ContinuousClock.Instant) -> Action {
        guard let (tail, numbered) = checking else { preconditionFailure("no tail check under way") }
        checking = nil
        let note: TailNote?
        if let previous = published, tail < previous {
            note = .lostEvents(published: previous)
        } else if published == nil, tail < numbered {
            note = .resuming(numbered: numbered)
        } else {
            note = nil
        }
        published = tail
        assigned = numbered
        lastCheck = now
        return .resumeFromTail(tail, note: note)
    }

    /// The read asked for returned `events`, in sequence order.
    mutating func batchRead(_ events: [SequencedEvent], now: ContinuousClock.Instant) throws(RelayError) -> Action {
        if !readingRefill, let last = events.last { assigned = last.globalSequence }
        let batch = Batch(events: events, refill: readingRefill)
        if let sent = inFlight {
            pending = batch
            return .awaitAcks(sent.batch.events)
        }
        return try proceed(with: batch, now: now)
    }

    /// The acks of the batch in flight, in publish order: each must name its event's sequence.
    mutating func acksReceived(_ sequences: [UInt64]) throws(RelayError) -> Action {
        guard let sent = inFlight else { preconditionFailure("acks without a batch in flight") }
        inFlight = nil
        for (sequence, event) in zip(sequences, sent.batch.events) where sequence != event.globalSequence {
            throw RelayError(
                code: .unexpectedAck,
                message: "event \(event.globalSequence) (\(event.event.eventID.lowercasedText)) was acked as message \(sequence)"
            )
        }
        return .recordPublished(count: sent.batch.events.count, through: sent.through, refill: sent.batch.refill)
    }

    /// Some publish of the batch in flight failed: what the stream holds is unknown until its
    /// tail is read again. The batch read meanwhile is numbered; the refill re-reads it.
    mutating func publishFailed() -> Action {
        inFlight = nil
        pending = nil
        lastEventID = nil
        return .readTail
    }

    /// A wait for a notification ended, `rung` or timed out.
    mutating func woke(rung: Bool, now: ContinuousClock.Instant) throws(RelayError) -> Action {
        if rung { retryDelay = .milliseconds(1) }
        return try next(now: now)
    }

    /// Publishes `batch`; when it is empty, checks the stream if that is due, or waits for more.
    private mutating func proceed(with batch: Batch, now: ContinuousClock.Instant) throws(RelayError) -> Action {
        guard let last = batch.events.last else {
            if now - lastCheck >= configuration.streamCheckInterval { return .readTail }
            if let delay = retryDelay {
                retryDelay = delay < .milliseconds(50) ? delay * 2 : nil
                return .sleep(delay)
            }
            return .waitForWake(timeout: configuration.pollInterval)
        }
        try checkContinues(batch)
        retryDelay = nil
        let after = lastEventID
        published = last.globalSequence
        lastEventID = last.event.eventID.lowercasedText
        inFlight = (batch, last.globalSequence)
        return .publish(batch.events, after: after)
    }

    /// A batch must hold exactly the events after the stream's tail, in order: anything else
    /// is a numbering bug, and publishing it would make the stream not the log.
    private func checkContinues(_ batch: Batch) throws(RelayError) {
        var expected = (published ?? 0) + 1
        for event in batch.events {
            guard event.globalSequence == expected else {
                throw RelayError(code: .outOfOrder, message: "event \(event.globalSequence) does not follow \(expected - 1)")
            }
            expected += 1
        }
    }
}

import Foundation
import RepriseEventLog
@testable import RepriseRelay
import Testing

/// The publish loop's decisions, without servers: each test plays the relay's part, doing
/// nothing but reporting what the servers would have answered.
@Suite("Relay publish state")
struct RelayPublishStateTests {
    typealias Action = RelayPublishState.Action

    let configuration = RelayConfiguration(
        streamName: "EVENTS", batchSize: 3, pollInterval: .seconds(1), streamCheckInterval: .seconds(5)
    )
    let t0 = ContinuousClock.now
    let log = (1...20).map { Self.event($0) }

    static func event(_ sequence: UInt64) -> SequencedEvent {
        SequencedEvent(globalSequence: sequence, event: RecordedEvent(
            cursor: LogCursor(transactionID: sequence, position: 0), eventID: UUID(), streamID: StreamID("s-\(sequence)"),
            streamVersion: 1, type: "test.happened", schemaVersion: 1, data: [], metadata: EventMetadata(correlationID: UUID(), actor: "t"),
            commandID: "c-\(sequence)", recordedAtMicroseconds: 0, previousHash: nil, hash: []
        ))
    }

    func events(_ range: ClosedRange<UInt64>) -> [SequencedEvent] {
        range.map { log[Int($0) - 1] }
    }

    func id(_ sequence: UInt64) -> String { log[Int(sequence) - 1].event.eventID.lowercasedText }

    /// A state that found an empty stream and nothing numbered, and is ready to number.
    func started() throws -> RelayPublishState {
        var state = RelayPublishState(configuration: configuration, now: t0)
        #expect(state.start() == .readTail)
        #expect(try state.tailRead(lastSequence: 0, numbered: 0, now: t0) == .resumeFromTail(0, note: nil))
        #expect(try state.next(now: t0) == .assignNext(limit: 3))
        return state
    }

    func expectRelayError(_ code: RelayError.Code, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected \(code)")
        } catch let error as RelayError {
            #expect(error.code == code)
        } catch {
            Issue.record("expected \(code), got \(error)")
        }
    }

    // MARK: The tail check

    @Test("at start, a stream behind the numbering is checked at its tail, then the rest is re-read and published")
    func resumesBehindTheNumbering() throws {
        var state = RelayPublishState(configuration: configuration, now: t0)
        #expect(state.start() == .readTail)
        #expect(try state.tailRead(lastSequence: 7, numbered: 9, now: t0) == .compareTail(sequence: 7))
        #expect(try state.tailCompared(streamEventID: id(7), logEventID: id(7), now: t0) == .resumeFromTail(7, note: .resuming(numbered: 9)))
        #expect(try state.next(now: t0) == .readNumbered(after: 7, limit: 3))
        #expect(try state.batchRead(events(8...9), now: t0) == .publish(events(8...9), after: id(7)))
        // Everything numbered is out: number new events.
        #expect(try state.next(now: t0) == .assignNext(limit: 3))
    }

    @Test("at start, a stream level with the numbering resumes without a note")
    func resumesLevel() throws {
        var state = RelayPublishState(configuration: configuration, now: t0)
        _ = state.start()
        _ = try state.tailRead(lastSequence: 4, numbered: 4, now: t0)
        #expect(try state.tailCompared(streamEventID: id(4), logEventID: id(4), now: t0) == .resumeFromTail(4, note: nil))
        #expect(try state.next(now: t0) == .assignNext(limit: 3))
    }

    @Test("a stream longer than the numbering stops the relay: stream_ahead")
    func streamAhead() {
        var state = RelayPublishState(configuration: configuration, now: t0)
        _ = state.start()
        expectRelayError(.streamAhead) { _ = try state.tailRead(lastSequence: 9, numbered: 8, now: t0) }
    }

    @Test("a tail message that is not the log's event stops the relay: stream_diverged")
    func streamDiverged() throws {
        var state = RelayPublishState(configuration: configuration, now: t0)
        _ = state.start()
        _ = try state.tailRead(lastSequence: 5, numbered: 8, now: t0)
        expectRelayError(.streamDiverged) { _ = try state.tailCompared(streamEventID: id(6), logEventID: id(5), now: t0) }

        var missing = RelayPublishState(configuration: configuration, now: t0)
        _ = missing.start()
        _ = try missing.tailRead(lastSequence: 5, numbered: 8, now: t0)
        expectRelayError(.streamDiverged) { _ = try missing.tailCompared(streamEventID: id(5), logEventID: nil, now: t0) }
        expectRelayError(.streamDiverged) {
            var unlabelled = RelayPublishState(configuration: configuration, now: t0)
            _ = unlabelled.start()
            _ = try unlabelled.tailRead(lastSequence: 5, numbered: 8, now: t0)
            _ = try unlabelled.tailCompared(streamEventID: nil, logEventID: id(5), now: t0)
        }
    }

    // MARK: Publishing

    @Test("the next batch is read while the previous one's acks come in, and published once they are confirmed")
    func pipelines() throws {
        var state = try started()
        #expect(try state.batchRead(events(1...3), now: t0) == .publish(events(1...3), after: nil))
        #expect(state.inFlightEvents == events(1...3))
        #expect(try state.next(now: t0) == .assignNext(limit: 3))
        #expect(try state.batchRead(events(4...5), now: t0) == .awaitAcks(events(1...3)))
        #expect(try state.acksReceived([1, 2, 3]) == .recordPublished(count: 3, through: 3, refill: false))
        #expect(state.inFlightEvents == nil)
        #expect(try state.next(now: t0) == .publish(events(4...5), after: id(3)))
        #expect(try state.next(now: t0) == .assignNext(limit: 3))
        #expect(try state.batchRead([], now: t0) == .awaitAcks(events(4...5)))
        #expect(try state.acksReceived([4, 5]) == .recordPublished(count: 2, through: 5, refill: false))
        // Nothing new: wait for a notification.
        #expect(try state.next(now: t0) == .waitForWake(timeout: .seconds(1)))
        #expect(try state.woke(rung: false, now: t0) == .assignNext(limit: 3))
    }

    @Test("events published again after the stream lost them are counted as republished")
    func refillCountsRepublished() throws {
        var state = RelayPublishState(configuration: configuration, now: t0)
        _ = state.start()
        _ = try state.tailRead(lastSequence: 2, numbered: 5, now: t0)
        _ = try state.tailCompared(streamEventID: id(2), logEventID: id(2), now: t0)
        #expect(try state.next(now: t0) == .readNumbered(after: 2, limit: 3))
        #expect(try state.batchRead(events(3...5), now: t0) == .publish(events(3...5), after: id(2)))
        #expect(try state.next(now: t0) == .assignNext(limit: 3))
        #expect(try state.batchRead(events(6...6), now: t0) == .awaitAcks(events(3...5)))
        #expect(try state.acksReceived([3, 4, 5]) == .recordPublished(count: 3, through: 5, refill: true))
        #expect(try state.next(now: t0) == .publish(events(6...6), after: id(5)))
        #expect(try state.next(now: t0) == .assignNext(limit: 3))
        #expect(try state.batchRead([], now: t0) == .awaitAcks(events(6...6)))
        #expect(try state.acksReceived([6]) == .recordPublished(count: 1, through: 6, refill: false))
    }

    @Test("an ack at another sequence than its event's stops the relay: unexpected_ack")
    func unexpectedAck() throws {
        var state = try started()
        _ = try state.batchRead(events(1...3), now: t0)
        _ = try state.next(now: t0)
        _ = try state.batchRead([], now: t0)
        expectRelayError(.unexpectedAck) { _ = try state.acksReceived([1, 2, 7]) }
    }

    @Test("a batch that does not continue the stream is refused before anything of it is published: out_of_order")
    func outOfOrder() throws {
        var gap = try started()
        expectRelayError(.outOfOrder) { _ = try gap.batchRead([log[1], log[2]], now: t0) }
        #expect(gap.inFlightEvents == nil)

        var shuffled = try started()
        expectRelayError(.outOfOrder) { _ = try shuffled.batchRead([log[0], log[2], log[1]], now: t0) }

        // A batch read while another was in flight is checked when its turn comes.
        var pending = try started()
        _ = try pending.batchRead(events(1...3), now: t0)
        _ = try pending.next(now: t0)
        #expect(try pending.batchRead(events(5...6), now: t0) == .awaitAcks(events(1...3)))
        _ = try pending.acksReceived([1, 2, 3])
        expectRelayError(.outOfOrder) { _ = try pending.next(now: t0) }
    }

    // MARK: Failures and checks

    @Test("a failed publish drops what was read meanwhile and re-syncs from the stream's tail")
    func publishFailedResyncs() throws {
        var state = try started()
        _ = try state.batchRead(events(1...3), now: t0)
        _ = try state.next(now: t0)
        #expect(try state.batchRead(events(4...6), now: t0) == .awaitAcks(events(1...3)))
        #expect(state.publishFailed() == .readTail)
        #expect(state.inFlightEvents == nil)
        // Only event 1 landed; 4…6 were numbered meanwhile.
        #expect(try state.tailRead(lastSequence: 1, numbered: 6, now: t0) == .compareTail(sequence: 1))
        #expect(try state.tailCompared(streamEventID: id(1), logEventID: id(1), now: t0) == .resumeFromTail(1, note: .lostEvents(published: 3)))
        #expect(try state.next(now: t0) == .readNumbered(after: 1, limit: 3))
        #expect(try state.batchRead(events(2...4), now: t0) == .publish(events(2...4), after: id(1)))
        #expect(try state.next(now: t0) == .readNumbered(after: 4, limit: 3))
    }

    @Test("a stream recreated empty is refilled from the first event")
    func recreatedStream() throws {
        var state = try started()
        _ = try state.batchRead(events(1...3), now: t0)
        _ = try state.next(now: t0)
        _ = try state.batchRead([], now: t0)
        _ = try state.acksReceived([1, 2, 3])
        #expect(try state.next(now: t0) == .waitForWake(timeout: .seconds(1)))
        // Idle long enough: the stream is checked, and found empty.
        #expect(try state.woke(rung: false, now: t0 + .seconds(5)) == .assignNext(limit: 3))
        #expect(try state.batchRead([], now: t0 + .seconds(5)) == .readTail)
        #expect(try state.tailRead(lastSequence: 0, numbered: 3, now: t0 + .seconds(5)) == .resumeFromTail(0, note: .lostEvents(published: 3)))
        #expect(try state.next(now: t0 + .seconds(5)) == .readNumbered(after: 0, limit: 3))
    }

    @Test("an idle relay checks the stream every streamCheckInterval, counted from the last check")
    func periodicCheck() throws {
        var state = try started()
        #expect(try state.batchRead([], now: t0 + .seconds(4)) == .waitForWake(timeout: .seconds(1)))
        #expect(try state.woke(rung: false, now: t0 + .seconds(5)) == .assignNext(limit: 3))
        #expect(try state.batchRead([], now: t0 + .seconds(5)) == .readTail)
        #expect(try state.tailRead(lastSequence: 0, numbered: 0, now: t0 + .seconds(6)) == .resumeFromTail(0, note: nil))
        #expect(try state.next(now: t0 + .seconds(6)) == .assignNext(limit: 3))
        #expect(try state.batchRead([], now: t0 + .seconds(10)) == .waitForWake(timeout: .seconds(1)))
        #expect(try state.woke(rung: false, now: t0 + .seconds(11)) == .assignNext(limit: 3))
        #expect(try state.batchRead([], now: t0 + .seconds(11)) == .readTail)
    }

    @Test("a check that falls due while acks are awaited comes after them")
    func checkAfterAcks() throws {
        var state = try started()
        _ = try state.batchRead(events(1...2), now: t0)
        _ = try state.next(now: t0)
        #expect(try state.batchRead([], now: t0 + .seconds(6)) == .awaitAcks(events(1...2)))
        _ = try state.acksReceived([1, 2])
        #expect(try state.next(now: t0 + .seconds(6)) == .readTail)
    }

    @Test("a wake-up that finds nothing looks again after 1, 2, 4 … 64 ms, then waits for the next notification")
    func retriesSoonAfterAWakeUp() throws {
        var state = try started()
        #expect(try state.batchRead([], now: t0) == .waitForWake(timeout: .seconds(1)))
        #expect(try state.woke(rung: true, now: t0) == .assignNext(limit: 3))
        var sleeps: [Duration] = []
        while case .sleep(let delay) = try state.batchRead([], now: t0) {
            sleeps.append(delay)
            #expect(try state.next(now: t0) == .assignNext(limit: 3))
        }
        #expect(sleeps == [1, 2, 4, 8, 16, 32, 64].map { .milliseconds($0) })
    }

    @Test("a batch ends the quick retries: the next empty read waits for a notification")
    func batchEndsQuickRetries() throws {
        var state = try started()
        _ = try state.batchRead([], now: t0)
        _ = try state.woke(rung: true, now: t0)
        #expect(try state.batchRead([], now: t0) == .sleep(.milliseconds(1)))
        _ = try state.next(now: t0)
        #expect(try state.batchRead(events(1...1), now: t0) == .publish(events(1...1), after: nil))
        _ = try state.next(now: t0)
        _ = try state.batchRead([], now: t0)
        _ = try state.acksReceived([1])
        #expect(try state.next(now: t0) == .waitForWake(timeout: .seconds(1)))
    }
}

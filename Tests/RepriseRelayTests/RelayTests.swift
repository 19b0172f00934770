import Foundation
import NATS
import Postgres
import Prometheus
import RepriseDomain
import RepriseEventLog
import RepriseEventStore
import RepriseRelay
import RepriseTestSupport
import Testing

@Suite("Relay")
struct RelayTests {
    @Test("publishes the log in order: message N is event N, decoded exactly")
    func publishesInOrder() async throws {
        try await PipelineHarness.with { harness in
            try await harness.append(40)
            try await harness.withRelay {
                try await harness.waitForStream(toReach: 40)
                // Appends while it runs are woken on, not only polled for.
                try await harness.append(30)
                try await harness.waitForStream(toReach: 70)
            }
            #expect(try await harness.streamMismatches() == [])
            let message = try await harness.jetStream.getMessage(stream: harness.configuration.streamName, sequence: 1)
            #expect(message.subject == harness.configuration.subjectPrefix + ".test.happened")
            let first = try await EventSequence.read(after: 0, limit: 1, on: harness.pool)
            #expect(message.headers["Nats-Msg-Id"] == first.first?.event.eventID.lowercasedText)
            #expect(message.headers["Nats-Expected-Last-Sequence"] == "0")
            #expect(message.headers[EventMessage.Header.traceparent]?.hasPrefix("00-") == true)
            // Every message's headers as schemas/nats/event-message.v2.json documents them.
            let schema = try JSONSchemaValidator.natsSchema("event-message.v2.json")
            for sequence in UInt64(1)...70 {
                let stored = try await harness.jetStream.getMessage(stream: harness.configuration.streamName, sequence: sequence)
                let headers = JSONValue.object(stored.headers.mapValues { .string($0) })
                #expect(schema.errors(in: headers) == [], "message \(sequence)")
            }
        }
    }

    @Test("a relay stopped anywhere resumes from the stream's tail and publishes each event once")
    func resumesAfterStop() async throws {
        try await PipelineHarness.with { harness in
            try await harness.append(25)
            // Postgres has numbered events the stream never got (a relay killed after
            // numbering), and the stream has the first few (killed mid-batch).
            let numbered = try await harness.number(20)
            _ = try await harness.jetStream.createStream(harness.configuration.streamConfiguration)
            for event in numbered.prefix(7) {
                _ = try await harness.jetStream.publish(
                    subject: EventMessage.subject(forType: event.event.type, prefix: harness.configuration.subjectPrefix),
                    payload: event.event.data, headers: EventMessage.headers(for: event),
                    messageID: EventMessage.messageID(of: event), expectedLastSequence: event.globalSequence - 1
                )
            }
            // The eighth was published, but its ack was lost: the relay publishes it again.
            let eighth = numbered[7]
            _ = try await harness.jetStream.publish(
                subject: EventMessage.subject(forType: eighth.event.type, prefix: harness.configuration.subjectPrefix),
                payload: eighth.event.data, headers: EventMessage.headers(for: eighth),
                messageID: EventMessage.messageID(of: eighth), expectedLastSequence: 7
            )
            try await harness.withRelay {
                try await harness.waitForStream(toReach: 25)
            }
            #expect(try await harness.streamMismatches() == [])
        }
    }

    @Test("a stream recreated empty is refilled from Postgres")
    func refillsARecreatedStream() async throws {
        try await PipelineHarness.with { harness in
            try await harness.append(30)
            try await harness.withRelay {
                try await harness.waitForStream(toReach: 30)
                try await harness.jetStream.deleteStream(name: harness.configuration.streamName)
                try await harness.append(5)
                try await harness.waitForStream(toReach: 35)
            }
            #expect(try await harness.streamMismatches() == [])
        }
    }

    @Test("a second relay stands by, then takes over without a duplicate")
    func oneLeader() async throws {
        try await PipelineHarness.with { harness in
            try await harness.append(20)
            let first = Task { try await harness.makeRelay().runUntilCancelled() }
            try await harness.waitForStream(toReach: 20)
            let second = Task { try await harness.makeRelay().runUntilCancelled() }
            try await harness.append(20)
            try await harness.waitForStream(toReach: 40)
            first.cancel()
            _ = await first.result
            try await harness.append(20)
            try await harness.waitForStream(toReach: 60)
            second.cancel()
            _ = await second.result
            #expect(try await harness.streamMismatches() == [])
        }
    }

    @Test("a foreign message halts the relay, which keeps running and says so; a rebuilt stream is refilled from the log")
    func foreignMessageHaltsUntilRebuilt() async throws {
        try await PipelineHarness.with { harness in
            try await harness.append(20)
            let registry = PrometheusCollectorRegistry()
            let repair = EventStreamRepair(jetStream: harness.jetStream, configuration: harness.configuration)
            try await whileRunning(harness.makeRelay(registry: registry).runUntilCancelled) {
                try await harness.waitForStream(toReach: 20)
                #expect(try await FanoutStatus.read(on: harness.pool) == .publishing)
                #expect(try await repair.check(on: harness.pool).agrees)

                // A message the relay did not publish, then more commands.
                _ = try await harness.jetStream.publish(
                    subject: harness.configuration.subjectPrefix + ".test.happened", payload: Array("{}".utf8)
                )
                try await harness.append(5)
                try await waitUntil("the relay halted") { try await FanoutStatus.read(on: harness.pool)?.state == .halted }
                let status = try #require(try await FanoutStatus.read(on: harness.pool))
                #expect(["stream_ahead", "stream_diverged", "unexpected_ack"].contains(status.code ?? ""))
                #expect(registry.emitToString().contains("reprise_relay_halted 1"))
                let check = try await repair.check(on: harness.pool)
                #expect(!check.agrees)
                #expect(check.streamTail == 21)

                // Halted, it publishes nothing more, and is still running.
                try await Task.sleep(for: .milliseconds(600))
                #expect(try await harness.streamTail() == 21)

                try await repair.rebuild()
                try await harness.waitForStream(toReach: 25)
                try await waitUntil("the relay recorded that it publishes again") {
                    try await FanoutStatus.read(on: harness.pool) == .publishing
                }
                #expect(registry.emitToString().contains("reprise_relay_halted 0"))
                try await harness.append(3)
                try await harness.waitForStream(toReach: 28)
            }
            #expect(try await harness.streamMismatches() == [])
            #expect(try await repair.check(on: harness.pool).agrees)
        }
    }

    @Test("a stream ahead of Postgres is a contradiction the check names: stream_ahead")
    func streamAheadIsReported() async throws {
        try await PipelineHarness.with { harness in
            _ = try await harness.jetStream.createStream(harness.configuration.streamConfiguration)
            _ = try await harness.jetStream.publish(
                subject: harness.configuration.subjectPrefix + ".test.happened", payload: Array("{}".utf8)
            )
            let check = try await EventStreamRepair(jetStream: harness.jetStream, configuration: harness.configuration).check(on: harness.pool)
            #expect(check.contradiction?.code == .streamAhead)
            #expect(check.streamTail == 1)
            #expect(check.numbered == 0)
        }
    }
}

@Suite("Global sequence audit")
struct SequenceAuditTests {
    @Test("a dense numbering in log order passes; a removed or reordered number is reported")
    func auditFindsTampering() async throws {
        try await PipelineHarness.with { harness in
            try await harness.append(20)
            _ = try await harness.number(20)
            #expect(try await EventSequence.audit(on: harness.pool).problems == [])

            try await harness.pool.query("DELETE FROM event_sequence WHERE global_sequence = 7")
            let gap = try await EventSequence.audit(on: harness.pool)
            #expect(gap.problems.contains { $0.contains("gaps") })
            #expect(gap.problems.contains { $0.contains("have no number") })

            // Swap the numbers of events 3 and 4 (the primary key is checked per statement).
            try await harness.pool.query("UPDATE event_sequence SET global_sequence = 1000 WHERE global_sequence = 3")
            try await harness.pool.query("UPDATE event_sequence SET global_sequence = 3 WHERE global_sequence = 4")
            try await harness.pool.query("UPDATE event_sequence SET global_sequence = 4 WHERE global_sequence = 1000")
            #expect(try await EventSequence.audit(on: harness.pool).problems.contains { $0.contains("order") })
        }
    }
}

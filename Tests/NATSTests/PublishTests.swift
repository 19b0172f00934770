import NATS
import RepriseTestSupport
import Testing

@Suite("JetStream publishing")
struct PublishTests {
    @Test("10,000 async publishes with ids are all acked, with sequences 1…N in publish order")
    func asyncPublishBatch() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withStream(js) { stream, prefix in
                let count = 10_000
                for index in 1...count {
                    try js.publishAsync(
                        subject: "\(prefix).e",
                        payload: Array("event \(index)".utf8),
                        headers: ["Reprise-Position": String(index)],
                        messageID: "id-\(index)"
                    )
                }
                let result = try await js.waitForPublishes(timeout: .seconds(120))
                #expect(result.failures.isEmpty)
                #expect(result.acks.count == count)
                #expect(result.acks.map(\.sequence) == Array(1...UInt64(count)))
                #expect(result.acks.map(\.messageID) == (1...count).map { "id-\($0)" })
                #expect(result.acks.allSatisfy { !$0.duplicate && $0.stream == stream })

                let info = try await js.streamInfo(name: stream)
                #expect(info.state.messages == UInt64(count))

                // The tracker starts over after each wait.
                let empty = try await js.waitForPublishes(timeout: .seconds(5))
                #expect(empty.acks.isEmpty && empty.failures.isEmpty)
            }
        }
    }

    @Test("re-publishing the same message ids is acked as duplicate with the original sequences")
    func duplicatesAreDropped() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withStream(js) { stream, prefix in
                let first = try await js.publish(subject: "\(prefix).e", payload: [1], messageID: "a")
                let second = try await js.publish(subject: "\(prefix).e", payload: [2], messageID: "b")
                #expect(!first.duplicate && first.sequence == 1)
                #expect(second.sequence == 2)

                let again = try await js.publish(subject: "\(prefix).e", payload: [9], messageID: "a")
                #expect(again.duplicate)
                #expect(again.sequence == 1)

                for id in ["a", "b"] {
                    try js.publishAsync(subject: "\(prefix).e", payload: [9], messageID: id)
                }
                let result = try await js.waitForPublishes(timeout: .seconds(30))
                #expect(result.failures.isEmpty)
                #expect(result.acks.map(\.duplicate) == [true, true])
                #expect(result.acks.map(\.sequence) == [1, 2])

                // A retry that carries its original, now stale, expectation is still a duplicate:
                // the server checks the id first.
                let retried = try await js.publish(subject: "\(prefix).e", payload: [2], messageID: "b", expectedLastSequence: 1)
                #expect(retried.duplicate && retried.sequence == 2)

                let info = try await js.streamInfo(name: stream)
                #expect(info.state.messages == 2)
            }
        }
    }

    @Test("a stale expected last sequence is rejected with wrongLastSequence; 0 means an empty stream")
    func expectedLastSequence() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withStream(js) { stream, prefix in
                let first = try await js.publish(subject: "\(prefix).e", payload: [1], expectedLastSequence: 0)
                #expect(first.sequence == 1)

                let secondEmpty = await natsError {
                    _ = try await js.publish(subject: "\(prefix).e", payload: [2], expectedLastSequence: 0)
                }
                #expect(secondEmpty?.code == .wrongLastSequence)
                #expect(secondEmpty?.jetStreamErrorCode == 10071)

                let second = try await js.publish(subject: "\(prefix).e", payload: [2], expectedLastSequence: 1)
                #expect(second.sequence == 2)
                let stale = await natsError {
                    _ = try await js.publish(subject: "\(prefix).e", payload: [3], expectedLastSequence: 1)
                }
                #expect(stale?.code == .wrongLastSequence)

                // Async: in a window chained on a wrong tail, every message fails, so nothing is
                // stored out of place.
                try js.publishAsync(subject: "\(prefix).e", payload: [3], messageID: "x3", expectedLastSequence: 1)
                try js.publishAsync(subject: "\(prefix).e", payload: [4], messageID: "x4", expectedLastSequence: 3)
                let result = try await js.waitForPublishes(timeout: .seconds(30))
                #expect(result.failures.map(\.messageID) == ["x3", "x4"])
                #expect(result.failures.allSatisfy { $0.error.code == .wrongLastSequence })
                #expect(result.failures.first?.subject == "\(prefix).e")
                #expect(result.acks.isEmpty)

                // And the right expectation goes through, async too.
                try js.publishAsync(subject: "\(prefix).e", payload: [3], messageID: "y3", expectedLastSequence: 2)
                let ok = try await js.waitForPublishes(timeout: .seconds(30))
                #expect(ok.failures.isEmpty)
                #expect(ok.acks.map(\.sequence) == [3])

                let info = try await js.streamInfo(name: stream)
                #expect(info.state.lastSequence == 3)
            }
        }
    }

    @Test("the first async publish into an empty stream may expect sequence 0")
    func asyncExpectEmpty() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withStream(js) { _, prefix in
                try js.publishAsync(subject: "\(prefix).e", payload: [1], messageID: "m1", expectedLastSequence: 0)
                try js.publishAsync(subject: "\(prefix).e", payload: [2], messageID: "m2", expectedLastSequence: 1)
                let result = try await js.waitForPublishes(timeout: .seconds(30))
                #expect(result.failures.isEmpty)
                #expect(result.acks.map(\.sequence) == [1, 2])
            }
        }
    }

    @Test("an async publish with a header list stores those headers and the JetStream ones")
    func asyncHeaderFields() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withStream(js) { stream, prefix in
                try js.publishAsync(
                    subject: "\(prefix).e", payload: [1], headerFields: [("A-One", "1"), ("B-Two", "two words")],
                    messageID: "h1", expectedLastSequence: 0
                )
                let result = try await js.waitForPublishes(timeout: .seconds(30))
                #expect(result.failures.isEmpty)
                #expect(result.acks.map(\.sequence) == [1])
                let stored = try await js.getMessage(stream: stream, sequence: 1)
                #expect(stored.headers == [
                    "A-One": "1", "B-Two": "two words", "Nats-Msg-Id": "h1", "Nats-Expected-Last-Sequence": "0",
                ])
                // An empty value cannot be read back, so it is refused before anything is sent.
                #expect(throws: NATSError.self) {
                    try js.publishAsync(subject: "\(prefix).e", payload: [2], headerFields: [("Empty", "")], messageID: "h2")
                }
            }
        }
    }

    @Test("a publish to a subject no stream covers fails with noResponders or jetStreamNotEnabled")
    func publishWithoutStream() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream(options: JetStreamOptions(requestTimeout: .seconds(5)))
            let error = await natsError {
                _ = try await js.publish(subject: "t.\(TestEnvironment.uniqueName("nostream")).x", payload: [1])
            }
            // libnats reports "no responders" on the JetStream API as 10076.
            #expect(error?.code == .jetStreamNotEnabled || error?.code == .noResponders)
        }
    }
}

import NATS
import RepriseTestSupport
import Testing

@Suite("JetStream streams")
struct StreamTests {
    @Test("create, read info, update limits, delete")
    func lifecycle() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            let name = TestEnvironment.uniqueName("LIFE")
            let config = StreamConfiguration(
                name: name,
                subjects: ["t.\(name).>"],
                storage: .memory,
                discard: .new,
                maxMessages: 10,
                duplicateWindow: .seconds(30),
                denyDelete: true,
                denyPurge: true
            )
            let created = try await js.createStream(config)
            #expect(created.config.name == name)
            #expect(created.config.subjects == ["t.\(name).>"])
            #expect(created.config.maxMessages == 10)
            #expect(created.config.duplicateWindow == .seconds(30))
            #expect(created.config.discard == .new)
            #expect(created.config.denyDelete && created.config.denyPurge)
            #expect(created.state.messages == 0)
            #expect(created.state.lastSequence == 0)

            // The same configuration again is not a conflict.
            _ = try await js.createStream(config)

            for index in 1...3 {
                _ = try await js.publish(subject: "t.\(name).event", payload: [UInt8(index)])
            }
            var updated = config
            updated.maxMessages = 1000
            let afterUpdate = try await js.updateStream(updated)
            #expect(afterUpdate.config.maxMessages == 1000)

            let info = try await js.streamInfo(name: name)
            #expect(info.config.maxMessages == 1000)
            #expect(info.state.messages == 3)
            #expect(info.state.firstSequence == 1)
            #expect(info.state.lastSequence == 3)
            #expect(info.state.consumerCount == 0)

            try await js.deleteStream(name: name)
            let missing = await natsError { _ = try await js.streamInfo(name: name) }
            #expect(missing?.code == .streamNotFound)
            #expect(missing?.jetStreamErrorCode == 10059)
            let deleteAgain = await natsError { try await js.deleteStream(name: name) }
            #expect(deleteAgain?.code == .streamNotFound)
        }
    }

    @Test("creating a stream whose name is taken with another configuration is streamNameInUse")
    func conflictingConfiguration() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withStream(js) { stream, prefix in
                let conflicting = StreamConfiguration(name: stream, subjects: ["\(prefix).>"], storage: .file)
                let error = await natsError { _ = try await js.createStream(conflicting) }
                #expect(error?.code == .streamNameInUse)
                #expect(error?.jetStreamErrorCode == 10058)
            }
        }
    }

    @Test("an invalid stream configuration is a typed error, not a crash")
    func invalidConfiguration() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            let error = await natsError {
                _ = try await js.createStream(StreamConfiguration(name: "bad.name", subjects: ["t.bad"], storage: .memory))
            }
            #expect(error?.code == .invalidArgument || error?.code == .other)
        }
    }

    @Test("getMessage returns the stored payload and headers; a missing sequence is notFound")
    func getMessage() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withStream(js) { stream, prefix in
                let payload: [UInt8] = [0, 1, 2, 250]
                let ack = try await js.publish(
                    subject: "\(prefix).order",
                    payload: payload,
                    headers: ["Reprise-Position": "17"],
                    messageID: "event-17"
                )
                #expect(ack.stream == stream)
                #expect(ack.sequence == 1)

                let stored = try await js.getMessage(stream: stream, sequence: 1)
                #expect(stored.subject == "\(prefix).order")
                #expect(stored.sequence == 1)
                #expect(stored.payload == payload)
                #expect(stored.headers["Reprise-Position"] == "17")
                #expect(stored.headers["Nats-Msg-Id"] == "event-17")
                #expect(stored.time.timeIntervalSince1970 > 0)

                let missing = await natsError { _ = try await js.getMessage(stream: stream, sequence: 99) }
                #expect(missing?.code == .notFound)
                let noStream = await natsError { _ = try await js.getMessage(stream: "\(stream)_NONE", sequence: 1) }
                #expect(noStream?.code == .streamNotFound)
            }
        }
    }
}

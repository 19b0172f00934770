import NATS
import RepriseTestSupport
import Testing

@Suite("Graceful shutdown")
struct ShutdownTests {
    @Test("drainAndClose waits for async publishes still in flight; a new connection finds them all")
    func publishesInFlightSurviveClose() async throws {
        let name = TestEnvironment.uniqueName("SHUT")
        let subject = "t.\(name).e"
        let count = 3_000
        let admin = try await NATSTest.connect()
        let adminJS = try admin.jetStream()
        _ = try await adminJS.createStream(StreamConfiguration(name: name, subjects: ["t.\(name).>"], storage: .memory))
        do {
            let connection = try await NATSTest.connect()
            let js = try connection.jetStream()
            for index in 1...count {
                try js.publishAsync(subject: subject, payload: Array(String(index).utf8), messageID: "m\(index)")
            }
            // No waitForPublishes: closing must wait for the acks itself.
            try await withHangGuard { await connection.drainAndClose(timeout: .seconds(60)) }
            #expect(connection.isClosed)
            let afterClose = await natsError { try js.publishAsync(subject: subject, payload: [0]) }
            #expect(afterClose?.code == .connectionClosed)

            let info = try await adminJS.streamInfo(name: name)
            #expect(info.state.messages == UInt64(count))
            #expect(info.state.lastSequence == UInt64(count))
        } catch {
            try? await adminJS.deleteStream(name: name)
            await admin.close()
            throw error
        }
        try await adminJS.deleteStream(name: name)
        await admin.close()
    }

    @Test("a fetch, an ordered consumer and a watch in flight during close end or throw, never hang")
    func readersInFlightDuringClose() async throws {
        try await NATSTest.withConnection { admin in
            let adminJS = try admin.jetStream()
            try await NATSTest.withStream(adminJS) { stream, prefix in
                _ = try await adminJS.publish(subject: "\(prefix).e", payload: [1])
                _ = try await adminJS.addConsumer(stream: stream, ConsumerConfiguration(durableName: "idle"))
                let bucketName = TestEnvironment.uniqueName("kvshut")
                _ = try await adminJS.createKeyValue(KeyValueConfiguration(bucket: bucketName, storage: .memory))

                let connection = try await NATSTest.connect()
                let js = try connection.jetStream()
                let pull = try await js.pullSubscribe(stream: stream, consumer: "idle")
                // Drain the one stored message so the next fetch really waits.
                let first = try await withHangGuard { try await NATSTest.fetch(pull, count: 1) }
                try first.first?.ack()
                let ordered = try await js.orderedConsumer(stream: stream, startSequence: 1)
                let watch = try await js.keyValue(bucket: bucketName).watch()

                let outcomes = try await withHangGuard { () -> [String] in
                    try await withThrowingTaskGroup(of: String.self) { group in
                        group.addTask {
                            do {
                                let messages = try await pull.fetch(batch: 10, timeout: .seconds(30))
                                return "fetch returned \(messages.count)"
                            } catch let error as NATSError {
                                return "fetch threw \(error.code)"
                            }
                        }
                        group.addTask {
                            do {
                                var count = 0
                                for try await _ in ordered { count += 1 }
                                return "ordered ended after \(count)"
                            } catch let error as NATSError {
                                return "ordered threw \(error.code)"
                            }
                        }
                        group.addTask {
                            do {
                                var count = 0
                                for try await _ in watch { count += 1 }
                                return "watch ended after \(count)"
                            } catch let error as NATSError {
                                return "watch threw \(error.code)"
                            }
                        }
                        group.addTask {
                            await connection.drainAndClose(timeout: .seconds(10))
                            return "closed"
                        }
                        var outcomes: [String] = []
                        for try await outcome in group { outcomes.append(outcome) }
                        return outcomes
                    }
                }
                #expect(outcomes.contains("closed"))
                #expect(outcomes.count == 4)
                #expect(connection.isClosed)
                // Each reader either ended quietly or reported the close; none hung or crashed.
                for outcome in outcomes where outcome.contains("threw") {
                    #expect(outcome.hasSuffix("connectionClosed") || outcome.hasSuffix("subscriptionClosed"))
                }

                // Acking after the close fails cleanly (or is a no-op for an acked message).
                do {
                    try first.first?.nak()
                } catch let error as NATSError {
                    #expect(error.code == .connectionClosed)
                }
                try await adminJS.deleteKeyValue(bucket: bucketName)
            }
        }
    }
}

import NATS
import RepriseTestSupport
import Testing

@Suite("JetStream consumers")
struct ConsumerTests {
    @Test("a nak'd message comes back with numDelivered 2; a term'd one never does")
    func nakAndTerm() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withStream(js) { stream, prefix in
                for index in 1...3 {
                    _ = try await js.publish(subject: "\(prefix).e", payload: [UInt8(index)])
                }
                // A short ack wait, so an unacked message *would* come back within the test; not
                // shorter, so that a busy machine cannot delay an ack past it.
                let info = try await js.addConsumer(
                    stream: stream,
                    ConsumerConfiguration(durableName: "projector", ackPolicy: .explicit, ackWait: .seconds(2), maxAckPending: 100)
                )
                #expect(info.name == "projector")
                #expect(info.config.ackWait == .seconds(2))
                #expect(info.pendingCount == 3)

                let subscription = try await js.pullSubscribe(stream: stream, consumer: "projector")
                let first = try await withHangGuard { try await NATSTest.fetch(subscription, count: 3) }
                #expect(first.map(\.payload) == [[1], [2], [3]])
                #expect(first.map(\.metadata.streamSequence) == [1, 2, 3])
                #expect(first.allSatisfy { $0.metadata.numDelivered == 1 && $0.metadata.stream == stream })
                try first[0].ack()
                try first[2].ack()
                try first[1].nak()

                let again = try await withHangGuard { try await NATSTest.fetch(subscription, count: 1) }
                let redelivered = try #require(again.first)
                #expect(redelivered.payload == [2])
                #expect(redelivered.metadata.streamSequence == 2)
                #expect(redelivered.metadata.numDelivered == 2)
                try redelivered.term()

                // Well past the ack wait: nothing comes back.
                let clock = ContinuousClock()
                let until = clock.now + .seconds(5)
                var late: [JetStreamMessage] = []
                while clock.now < until {
                    late += try await subscription.fetch(batch: 10, timeout: .milliseconds(500))
                }
                #expect(late.isEmpty)

                let after = try await js.consumerInfo(stream: stream, name: "projector")
                #expect(after.ackPendingCount == 0)
                #expect(after.pendingCount == 0)
                await subscription.close()
                let closed = await natsError { _ = try await subscription.fetch(batch: 1, timeout: .seconds(1)) }
                #expect(closed?.code == .subscriptionClosed)

                // Closing the subscription kept the durable consumer.
                _ = try await js.consumerInfo(stream: stream, name: "projector")
                try await js.deleteConsumer(stream: stream, name: "projector")
                let gone = await natsError { _ = try await js.consumerInfo(stream: stream, name: "projector") }
                #expect(gone?.code == .consumerNotFound)
            }
        }
    }

    @Test("a consumer with a filter and a start sequence delivers only what it asks for")
    func filteredFromSequence() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withStream(js) { stream, prefix in
                for index in 1...6 {
                    _ = try await js.publish(subject: index.isMultiple(of: 2) ? "\(prefix).even" : "\(prefix).odd", payload: [UInt8(index)])
                }
                _ = try await js.addConsumer(
                    stream: stream,
                    ConsumerConfiguration(durableName: "evens", filterSubject: "\(prefix).even", deliverPolicy: .startSequence(3))
                )
                let info = try await js.consumerInfo(stream: stream, name: "evens")
                #expect(info.config.filterSubject == "\(prefix).even")
                #expect(info.config.deliverPolicy == .startSequence(3))
                let subscription = try await js.pullSubscribe(stream: stream, consumer: "evens")
                let messages = try await withHangGuard { try await NATSTest.fetch(subscription, count: 2) }
                #expect(messages.map(\.payload) == [[4], [6]])
                for message in messages { try message.ack() }
                await subscription.close()
            }
        }
    }

    @Test("closing a pull subscription ends a fetch in flight, which returns empty or throws subscriptionClosed")
    func closeDuringFetch() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withStream(js) { stream, _ in
                _ = try await js.addConsumer(stream: stream, ConsumerConfiguration(durableName: "waiting"))
                let subscription = try await js.pullSubscribe(stream: stream, consumer: "waiting")
                let outcome = try await withHangGuard { () -> String in
                    async let fetched: String = {
                        do {
                            return "returned \(try await subscription.fetch(batch: 10, timeout: .seconds(30)).count)"
                        } catch let error as NATSError {
                            return "threw \(error.code)"
                        }
                    }()
                    try await Task.sleep(for: .milliseconds(100))
                    await subscription.close()
                    return try await fetched
                }
                #expect(outcome == "returned 0" || outcome == "threw subscriptionClosed")
                // The durable consumer outlives the subscription.
                #expect(try await js.consumerInfo(stream: stream, name: "waiting").name == "waiting")
            }
        }
    }

    @Test("binding to a consumer that does not exist is consumerNotFound")
    func missingConsumer() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withStream(js) { stream, _ in
                let error = await natsError { _ = try await js.pullSubscribe(stream: stream, consumer: "nobody") }
                #expect(error?.code == .consumerNotFound)
                let noStream = await natsError {
                    _ = try await js.addConsumer(stream: "\(stream)_NONE", ConsumerConfiguration(durableName: "x"))
                }
                #expect(noStream?.code == .streamNotFound)
            }
        }
    }

    @Test("an ordered consumer started mid-stream delivers exactly 51…100 in order")
    func orderedFromMiddle() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withStream(js) { stream, prefix in
                for index in 1...100 {
                    try js.publishAsync(subject: "\(prefix).e", payload: Array(String(index).utf8))
                }
                let published = try await js.waitForPublishes(timeout: .seconds(60))
                #expect(published.acks.count == 100)

                let consumer = try await js.orderedConsumer(stream: stream, startSequence: 51)
                let received = try await withHangGuard { () -> [JetStreamMessage] in
                    var received: [JetStreamMessage] = []
                    for try await message in consumer {
                        received.append(message)
                        if received.count == 50 { break }
                    }
                    return received
                }
                #expect(received.map(\.metadata.streamSequence) == Array(51...100))
                #expect(received.map { String(decoding: $0.payload, as: UTF8.self) } == (51...100).map(String.init))
                // Ordered-consumer messages need no ack; acking is harmless.
                try received.first?.ack()

                // A live tail: a message published now arrives next, nothing in between.
                _ = try await js.publish(subject: "\(prefix).e", payload: Array("101".utf8))
                let next = try await withHangGuard { () -> JetStreamMessage? in
                    var iterator = consumer.makeAsyncIterator()
                    return try await iterator.next()
                }
                #expect(next?.metadata.streamSequence == 101)
                consumer.close()
            }
        }
    }

    @Test("an ordered consumer with a filter skips other subjects, and cancellation ends iteration")
    func orderedFilteredAndCancelled() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withStream(js) { stream, prefix in
                for index in 1...10 {
                    _ = try await js.publish(subject: index.isMultiple(of: 2) ? "\(prefix).b" : "\(prefix).a", payload: [UInt8(index)])
                }
                let consumer = try await js.orderedConsumer(stream: stream, filterSubject: "\(prefix).b", startSequence: 1)
                let seen = Collected()
                let reader = Task {
                    for try await message in consumer { await seen.append(message.payload) }
                }
                // Once the five stored messages are in, the reader waits on the live tail;
                // cancelling it must end the iteration.
                try await withHangGuard {
                    while await seen.payloads.count < 5 { try await Task.sleep(for: .milliseconds(20)) }
                }
                reader.cancel()
                try await withHangGuard { try await reader.value }
                #expect(await seen.payloads == [[2], [4], [6], [8], [10]])
                consumer.close()
            }
        }
    }
}

private actor Collected {
    var payloads: [[UInt8]] = []
    func append(_ payload: [UInt8]) { payloads.append(payload) }
}

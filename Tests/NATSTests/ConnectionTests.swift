import NATS
import RepriseTestSupport
import Testing

@Suite("Core NATS connection")
struct ConnectionTests {
    @Test("publish and subscribe carry a binary payload and headers")
    func coreRoundTrip() async throws {
        try await NATSTest.withConnection { connection in
            let subject = "t.\(TestEnvironment.uniqueName("core")).greeting"
            let subscription = try connection.subscribe(subject: subject)
            try await connection.flush(timeout: .seconds(5))
            let payload: [UInt8] = [0, 255, 1, 0x7f, 0x80, 0]
            try connection.publish(subject: subject, payload: payload, headers: ["Reprise-Type": "greeting", "Reprise-Position": "42"])

            let message = try await withHangGuard {
                var iterator = subscription.makeAsyncIterator()
                return try await iterator.next()
            }
            let received = try #require(message)
            #expect(received.subject == subject)
            #expect(received.payload == payload)
            #expect(received.headers == ["Reprise-Type": "greeting", "Reprise-Position": "42"])
            #expect(received.replySubject == nil)
            #expect(subscription.droppedMessages == 0)
            subscription.unsubscribe()
        }
    }

    @Test("a reader that falls behind the buffer loses the newest messages, and the loss is counted")
    func droppedMessagesAreCounted() async throws {
        try await NATSTest.withConnection { connection in
            let subject = "t.\(TestEnvironment.uniqueName("flood")).x"
            let subscription = try connection.subscribe(subject: subject, bufferSize: 10)
            try await connection.flush(timeout: .seconds(5))
            for index in 0..<100 {
                try connection.publish(subject: subject, payload: [UInt8(index)])
            }
            try await connection.flush(timeout: .seconds(5))
            // Delivery runs on libnats' thread; wait until it has seen all 100.
            try await withHangGuard {
                while subscription.droppedMessages < 90 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(subscription.droppedMessages == 90)
            subscription.unsubscribe()
            var kept: [UInt8] = []
            for try await message in subscription { kept += message.payload }
            #expect(kept == Array(0..<10))
        }
    }

    @Test("an empty header value is refused before it is sent, since libnats could not read it back")
    func emptyHeaderValue() async throws {
        try await NATSTest.withConnection { connection in
            let error = await natsError { try connection.publish(subject: "t.empty", payload: [], headers: ["X": ""]) }
            #expect(error?.code == .invalidArgument)
        }
    }

    @Test("a request gets the responder's reply")
    func requestReply() async throws {
        try await NATSTest.withConnection { connection in
            let subject = "t.\(TestEnvironment.uniqueName("svc")).echo"
            let service = try connection.subscribe(subject: subject)
            try await connection.flush(timeout: .seconds(5))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await request in service {
                        let reply = try #require(request.replySubject)
                        try connection.publish(subject: reply, payload: request.payload.reversed())
                        return
                    }
                }
                let answer = try await connection.request(subject: subject, payload: [1, 2, 3], timeout: .seconds(10))
                #expect(answer.payload == [3, 2, 1])
                try await group.waitForAll()
            }
            service.unsubscribe()
        }
    }

    @Test("a request nobody listens to fails with noResponders")
    func requestWithoutResponders() async throws {
        try await NATSTest.withConnection { connection in
            let error = await natsError {
                _ = try await connection.request(subject: "t.\(TestEnvironment.uniqueName("none")).x", payload: [], timeout: .seconds(10))
            }
            #expect(error?.code == .noResponders)
        }
    }

    @Test("a wrong password is refused with a clear error that does not repeat the password")
    func badPassword() async throws {
        let error = await natsError {
            _ = try await NATSTest.connect(url: TestEnvironment.natsURL(user: "reprise", password: "not-the-password"))
        }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.message.contains("Authorization Violation") == true)
        #expect(error?.description.contains("not-the-password") == false)
    }

    @Test("a client without credentials is refused")
    func noCredentials() async throws {
        let hostAndPort = TestEnvironment.natsURL.split(separator: "@").last.map(String.init) ?? "127.0.0.1:54222"
        let error = await natsError {
            _ = try await NATSTest.connect(url: "nats://\(hostAndPort)")
        }
        #expect(error?.code == .authenticationFailed)
    }

    @Test("nothing listening at the address fails with connectionFailed")
    func noServer() async throws {
        let error = await natsError {
            _ = try await NATSTest.connect(url: "nats://127.0.0.1:1")
        }
        #expect(error?.code == .connectionFailed)
    }

    @Test("a closed connection refuses work with connectionClosed, and closing again is harmless")
    func operationsAfterClose() async throws {
        let connection = try await NATSTest.connect()
        let js = try connection.jetStream()
        await connection.close()
        #expect(connection.isClosed)

        #expect(await natsError { try connection.publish(subject: "t.closed", payload: []) }?.code == .connectionClosed)
        #expect(await natsError { _ = try connection.subscribe(subject: "t.closed") }?.code == .connectionClosed)
        #expect(await natsError { try await connection.flush(timeout: .seconds(1)) }?.code == .connectionClosed)
        #expect(await natsError { _ = try connection.jetStream() }?.code == .connectionClosed)
        #expect(await natsError { _ = try await js.streamInfo(name: "ANY") }?.code == .connectionClosed)
        #expect(await natsError { try js.publishAsync(subject: "t.closed", payload: []) }?.code == .connectionClosed)
        #expect(await natsError { _ = try await js.publish(subject: "t.closed", payload: []) }?.code == .connectionClosed)

        await connection.close()
        await connection.drainAndClose(timeout: .seconds(1))
    }

    @Test("the event stream reports the close and then ends")
    func closedEvent() async throws {
        let connection = try await NATSTest.connect()
        await connection.close()
        let sawClosed = try await withHangGuard {
            var closed = false
            for await event in connection.events {
                if case .closed = event { closed = true }
            }
            return closed
        }
        #expect(sawClosed)
    }

    @Test("concurrent closes all return once the connection is closed")
    func concurrentClose() async throws {
        let connection = try await NATSTest.connect()
        try await withHangGuard {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask { await connection.close() }
                }
            }
        }
        #expect(connection.isClosed)
    }
}

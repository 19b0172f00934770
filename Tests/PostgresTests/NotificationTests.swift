import Postgres
import RepriseTestSupport
import Testing

@Suite(.timeLimit(.minutes(1))) struct NotificationTests {
    @Test func notificationsArriveInOrderWithPayloads() async throws {
        let channel = TestEnvironment.uniqueName("Channel")
        let payloads = ["first", "second ✓", "", "emoji 🎉 and quotes ' \"", String(repeating: "x", count: 7_000)]
        let listener = try await TestDatabase.connect()
        let sender = try await TestDatabase.connect()

        let notifications = try await listener.listen(to: [channel])
        for payload in payloads {
            try await sender.notify(channel: channel, payload: payload)
        }
        // Another channel's traffic is not delivered.
        try await sender.notify(channel: channel + "_other", payload: "ignored")

        var received: [PostgresNotification] = []
        for try await notification in notifications {
            received.append(notification)
            if received.count == payloads.count { break }
        }
        #expect(received.map(\.payload) == payloads)
        #expect(received.allSatisfy { $0.channel == channel })
        #expect(received.allSatisfy { $0.processID == sender.backendProcessID })

        await sender.close()
        await listener.close()
    }

    @Test func notifyInsideATransactionArrivesOnCommit() async throws {
        let channel = TestEnvironment.uniqueName("tx")
        let listener = try await TestDatabase.connect()
        let sender = try await TestDatabase.connect()
        let notifications = try await listener.listen(to: [channel])

        _ = await #expect(throws: PostgresError.self) {
            try await sender.withTransaction { transaction in
                try await transaction.notify(channel: channel, payload: "rolled back")
                try await transaction.query("SELECT 1/0")
            }
        }
        try await sender.withTransaction { transaction in
            try await transaction.notify(channel: channel, payload: "committed")
        }
        var iterator = notifications.makeAsyncIterator()
        #expect(try await iterator.next()?.payload == "committed")

        await sender.close()
        await listener.close()
    }

    @Test func iterationEndsWhenTheTaskIsCancelled() async throws {
        let channel = TestEnvironment.uniqueName("cancel")
        let listener = try await TestDatabase.connect()
        let notifications = try await listener.listen(to: [channel])
        let started = Checkpoint()

        let task = Task {
            var count = 0
            started.signal()
            for try await _ in notifications { count += 1 }
            return count
        }
        await started.wait()
        task.cancel()
        // Returns, rather than hanging until the time limit.
        #expect(try await task.value == 0)
        // The connection is still fine for other work.
        #expect(try await listener.query("SELECT 1").first?.decode(Int.self, at: 0) == 1)
        await listener.close()
    }

    @Test func losingTheConnectionEndsIterationWithAnError() async throws {
        let channel = TestEnvironment.uniqueName("lost")
        let listener = try await TestDatabase.connect()
        let notifications = try await listener.listen(to: [channel])
        try await TestDatabase.withConnection { admin in
            try await admin.query("SELECT pg_terminate_backend(\(listener.backendProcessID), 10000)")
        }
        let error = await #expect(throws: PostgresError.self) {
            for try await _ in notifications {}
        }
        #expect(error?.code == .connectionClosed)
        #expect(listener.isClosed)
        await listener.close()
    }
}

import Postgres
import RepriseTestSupport
import ServiceLifecycle
import Testing

/// Code in an actor hands the pool closures that touch the actor's state.
private actor Tally {
    private(set) var total = 0

    func add(using pool: PostgresConnectionPool) async throws -> Int {
        try await pool.withConnection { connection in
            total += try await connection.query("SELECT 5")[0].decode(Int.self, at: 0)
        }
        try await pool.withTransaction { transaction in
            total += try await transaction.query("SELECT 2")[0].decode(Int.self, at: 0)
        }
        return total
    }
}

@Suite(.timeLimit(.minutes(1))) struct PoolTests {
    private func makePool(maxConnections: Int) -> PostgresConnectionPool {
        PostgresConnectionPool(configuration: TestDatabase.configuration, maxConnections: maxConnections, logger: TestDatabase.logger)
    }

    @Test func moreUsersThanConnectionsAllComplete() async throws {
        let pids = try await TestDatabase.withPool(maxConnections: 3) { pool in
            try await withThrowingTaskGroup(of: Int32.self) { group in
                for n in 0..<40 {
                    group.addTask {
                        try await pool.withConnection { connection in
                            let rows = try await connection.query("SELECT pg_backend_pid(), \(n)::int4 + 1, pg_sleep(0.01)")
                            #expect(try rows[0].decode(Int.self, at: 1) == n + 1)
                            return try rows[0].decode(Int32.self, at: 0)
                        }
                    }
                }
                return try await group.reduce(into: [Int32]()) { $0.append($1) }
            }
        }
        #expect(pids.count == 40)
        #expect((1...3).contains(Set(pids).count))
    }

    @Test func transactionsAndQueriesOnThePool() async throws {
        try await TestDatabase.withSchema { connection, schema in
            try await connection.query("CREATE TABLE \(identifier: schema).t (id int PRIMARY KEY)")
            try await TestDatabase.withPool(maxConnections: 2) { pool in
                try await pool.withTransaction(isolation: .serializable) { transaction in
                    try await transaction.query("INSERT INTO \(identifier: schema).t VALUES (1), (2)")
                }
                _ = await #expect(throws: PostgresError.self) {
                    try await pool.withTransaction { transaction in
                        try await transaction.query("INSERT INTO \(identifier: schema).t VALUES (3)")
                        try await transaction.query("INSERT INTO \(identifier: schema).t VALUES (1)")
                    }
                }
                let count = try await pool.query("SELECT count(*) FROM \(identifier: schema).t")
                #expect(try count.first?.decode(Int.self, at: 0) == 2)
            }
        }
    }

    @Test func closuresRunInTheCallersIsolation() async throws {
        let total = try await TestDatabase.withPool(maxConnections: 1) { pool in
            try await Tally().add(using: pool)
        }
        #expect(total == 7)
    }

    @Test func brokenConnectionIsDiscarded() async throws {
        try await TestDatabase.withPool(maxConnections: 1) { pool in
            let victim = try await pool.withConnection { $0.backendProcessID }
            try await TestDatabase.withConnection { admin in
                // Waits until the backend has exited, so the next use surely finds it gone.
                try await admin.query("SELECT pg_terminate_backend(\(victim), 10000)")
            }
            let error = await #expect(throws: PostgresError.self) {
                try await pool.query("SELECT 1")
            }
            #expect(error?.code == .connectionClosed)

            let replacement = try await pool.withConnection { connection in
                let one = try await connection.query("SELECT 1").first?.decode(Int.self, at: 0)
                #expect(one == 1)
                return connection.backendProcessID
            }
            #expect(replacement != victim)
        }
    }

    @Test func connectionClosedByTheBodyIsNotReused() async throws {
        try await TestDatabase.withPool(maxConnections: 1) { pool in
            let first = try await pool.withConnection { connection in
                await connection.close()
                return connection.backendProcessID
            }
            let second = try await pool.withConnection { $0.backendProcessID }
            #expect(first != second)
        }
    }

    @Test func cancelledWaiterGivesUp() async throws {
        try await TestDatabase.withPool(maxConnections: 1) { pool in
            let holding = Checkpoint()
            let release = Checkpoint()
            async let holder: Void = pool.withConnection { _ in
                holding.signal()
                await release.wait()
            }
            await holding.wait()
            let waiter = Task { try await pool.query("SELECT 1") }
            waiter.cancel()
            let error = await #expect(throws: PostgresError.self) { try await waiter.value }
            #expect(error?.code == .queryCanceled)
            release.signal()
            try await holder
            #expect(try await pool.query("SELECT 2").first?.decode(Int.self, at: 0) == 2)
        }
    }

    @Test func gracefulShutdownLetsWorkInFlightFinish() async throws {
        let pool = makePool(maxConnections: 1)
        let group = ServiceGroup(services: [pool], logger: TestDatabase.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }

            let leased = Checkpoint()
            let proceed = Checkpoint()
            let inFlight = Task {
                try await pool.withConnection { connection in
                    leased.signal()
                    await proceed.wait()
                    return try await connection.query("SELECT pg_sleep(0.5), 'finished'")[0].decode(String.self, at: 1)
                }
            }
            await leased.wait()
            await group.triggerGracefulShutdown()

            // Requested after shutdown began: whether it was queued first or arrives after the
            // pool noticed, it fails, and never gets the connection that is still in use.
            let late = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            #expect(late?.code == .poolClosed)

            proceed.signal()
            #expect(try await inFlight.value == "finished")
            // The service group's run() returns once the pool's run() has.
            try await tasks.waitForAll()
        }
        let after = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        #expect(after?.code == .poolClosed)
    }

    @Test func cancellingRunShutsDownToo() async throws {
        let pool = makePool(maxConnections: 2)
        let running = Task { try await pool.run() }
        try await pool.query("SELECT 1")
        running.cancel()
        try await running.value
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        #expect(error?.code == .poolClosed)
    }

    @Test func shutdownFromCodeWithoutRun() async throws {
        let pool = makePool(maxConnections: 2)
        try await pool.query("SELECT 1")
        await pool.shutdown()
        await pool.shutdown()
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        #expect(error?.code == .poolClosed)
    }

    @Test func closeRacingAQueryDoesNotCrash() async throws {
        let connection = try await TestDatabase.connect()
        let started = Checkpoint()
        let query = Task {
            started.signal()
            return try await connection.query("SELECT pg_sleep(0.2), 42")
        }
        await started.wait()
        await connection.close()
        do {
            let rows = try await query.value
            #expect(try rows[0].decode(Int.self, at: 1) == 42)
        } catch let error as PostgresError {
            #expect(error.code == .connectionClosed)
        }
        #expect(connection.isClosed)
        await connection.close()
        let after = await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1") }
        #expect(after?.code == .connectionClosed)
    }
}

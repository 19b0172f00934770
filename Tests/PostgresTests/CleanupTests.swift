import Foundation
import Postgres
import RepriseTestSupport
import Testing

/// The wrapper leaves nothing behind on the server: no statement running for a task that
/// is gone, no transaction open on a connection back in the pool, no prepared statement
/// the client believes in and the server forgot.
@Suite(.timeLimit(.minutes(1))) struct CleanupTests {
    /// The backend's state in `pg_stat_activity`, seen from another session.
    private func state(of pid: Int32, on observer: PostgresConnection) async throws -> String? {
        try await observer.query("SELECT state FROM pg_stat_activity WHERE pid = \(pid)").first?.decode(String?.self, at: 0)
    }

    /// Polls until `condition` holds, up to `limit`; returns how long it took, or nil.
    private func waitUntil(_ limit: Duration, _ condition: () async throws -> Bool) async throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if try await condition() { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    @Test func aCancelledTaskCancelsItsStatementOnTheServer() async throws {
        try await TestDatabase.withConnection { observer in
            let sleeper = try await TestDatabase.connect()
            let pid = sleeper.backendProcessID
            let result = try await withThrowingTaskGroup(of: Result<Void, PostgresError>?.self) { group in
                group.addTask {
                    do {
                        try await sleeper.query("SELECT pg_sleep(30)")
                        return .success(())
                    } catch let error as PostgresError {
                        return .failure(error)
                    }
                }
                let started = try await waitUntil(.seconds(10)) { try await state(of: pid, on: observer) == "active" }
                #expect(started != nil)

                group.cancelAll()
                let stopped = try await waitUntil(.seconds(10)) { try await state(of: pid, on: observer) != "active" }
                #expect(stopped != nil, "pg_sleep(30) still runs on the server after its task was cancelled")
                return try await group.next() ?? nil
            }
            guard case .failure(let error) = result else {
                Issue.record("the cancelled statement did not fail")
                return
            }
            #expect(error.code == .queryCanceled)

            // The session is usable: the cancel request hit that statement, not the next one.
            #expect(try await sleeper.query("SELECT 1").first?.decode(Int.self, at: 0) == 1)
            #expect(!sleeper.isClosed)
            await sleeper.close()
        }
    }

    @Test func aCancelledTransactionOnThePoolIsStoppedAndRolledBack() async throws {
        try await TestDatabase.withSchema { observer, schema in
            try await observer.query("CREATE TABLE \(identifier: schema).t (id int)")
            try await TestDatabase.withPool(maxConnections: 1) { pool in
                let pid = try await pool.withConnection { $0.backendProcessID }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try? await pool.withTransaction { transaction in
                            try await transaction.query("INSERT INTO \(identifier: schema).t VALUES (1)")
                            try await transaction.query("SELECT pg_sleep(30)")
                        }
                    }
                    _ = try await waitUntil(.seconds(10)) { try await state(of: pid, on: observer) == "active" }
                    let cancelledAt = ContinuousClock.now
                    group.cancelAll()
                    try await group.waitForAll()
                    // Far less than the 30 s the statement would have run.
                    #expect(ContinuousClock.now - cancelledAt < .seconds(10))
                }
                let idle = try await waitUntil(.seconds(10)) { try await state(of: pid, on: observer) == "idle" }
                #expect(idle != nil)
                let rows = try await pool.query("SELECT count(*) FROM \(identifier: schema).t")
                #expect(try rows.first?.decode(Int.self, at: 0) == 0)
            }
        }
    }

    @Test func aConnectionReturnedInsideATransactionIsRolledBackBeforeReuse() async throws {
        try await TestDatabase.withSchema { observer, schema in
            try await observer.query("CREATE TABLE \(identifier: schema).t (id int)")
            try await TestDatabase.withPool(maxConnections: 1) { pool in
                // A borrower that began a transaction and left without ending it.
                let pid = try await pool.withConnection { connection in
                    try await connection.query("BEGIN")
                    try await connection.query("INSERT INTO \(identifier: schema).t VALUES (1)")
                    return connection.backendProcessID
                }
                #expect(try await state(of: pid, on: observer) == "idle")

                // The next borrower gets the same session, outside any transaction, without the row.
                let (reusedPID, count, inTransaction) = try await pool.withConnection { connection in
                    let rows = try await connection.query(
                        "SELECT pg_backend_pid(), (SELECT count(*) FROM \(identifier: schema).t), pg_current_xact_id_if_assigned() IS NOT NULL"
                    )
                    return (
                        try rows[0].decode(Int32.self, at: 0), try rows[0].decode(Int.self, at: 1), try rows[0].decode(Bool.self, at: 2)
                    )
                }
                #expect(reusedPID == pid)
                #expect(count == 0)
                #expect(!inTransaction)

                // A failed transaction left behind is rolled back too.
                try await pool.withConnection { connection in
                    try await connection.query("BEGIN")
                    _ = try? await connection.query("SELECT 1/0")
                }
                #expect(try await pool.query("SELECT 1").first?.decode(Int.self, at: 0) == 1)
            }
            let committed = try await observer.query("SELECT count(*) FROM \(identifier: schema).t")
            #expect(try committed.first?.decode(Int.self, at: 0) == 0)
        }
    }

    @Test func preparedStatementsSurviveDiscardAll() async throws {
        let statement = PostgresPreparedStatement(name: "cleanup_add", sql: "SELECT $1::int4 + 1")
        try await TestDatabase.withConnection { connection in
            #expect(try await connection.execute(statement, [1]).first?.decode(Int.self, at: 0) == 2)

            // Seen in the command tag: the cache forgets at once.
            try await connection.simpleQuery("DISCARD ALL")
            #expect(try await connection.execute(statement, [2]).first?.decode(Int.self, at: 0) == 3)

            // Not seen (the tag is the last statement's, as after a pooler's reset): the server's
            // "no such statement" makes the wrapper prepare again.
            try await connection.simpleQuery("DEALLOCATE ALL; SELECT 1")
            #expect(try await connection.execute(statement, [3]).first?.decode(Int.self, at: 0) == 4)

            try await connection.simpleQuery("DEALLOCATE ALL")
            #expect(try await connection.execute(statement, [4]).first?.decode(Int.self, at: 0) == 5)
        }
    }

    @Test func theStatementTimeoutIsSetOnEverySession() async throws {
        var configuration = TestDatabase.configuration
        configuration.statementTimeout = .milliseconds(250)
        try await PostgresConnection.withConnection(configuration, logger: TestDatabase.logger) { (connection: PostgresConnection) async throws in
            #expect(try await connection.query("SHOW statement_timeout").first?.decode(String.self, at: 0) == "250ms")
            await #expect {
                try await connection.query("SELECT pg_sleep(5)")
            } throws: { ($0 as? PostgresError)?.code == .queryCanceled }
            #expect(try await connection.query("SELECT 1").first?.decode(Int.self, at: 0) == 1)
        }
    }
}

/// The pool's wait queue is bounded in length and in time.
@Suite(.timeLimit(.minutes(1))) struct PoolBoundTests {
    @Test func aWaiterGivesUpAfterTheWaitTimeout() async throws {
        let pool = PostgresConnectionPool(
            configuration: TestDatabase.configuration, maxConnections: 1, waitTimeout: .milliseconds(200), logger: TestDatabase.logger
        )
        try await withPoolRunning(pool) {
            let holding = Checkpoint(), release = Checkpoint()
            async let held: Void = pool.withConnection { _ in
                holding.signal()
                await release.wait()
            }
            await holding.wait()
            let start = ContinuousClock.now
            await #expect {
                try await pool.query("SELECT 1")
            } throws: { ($0 as? PostgresError)?.code == .poolTimeout }
            #expect(ContinuousClock.now - start < .seconds(10))
            release.signal()
            try await held
            // The slot is intact: the next caller gets the connection.
            #expect(try await pool.query("SELECT 1").first?.decode(Int.self, at: 0) == 1)
        }
    }

    @Test func aFullQueueRefusesAtOnce() async throws {
        let pool = PostgresConnectionPool(
            configuration: TestDatabase.configuration, maxConnections: 1, maxWaiters: 1, waitTimeout: .seconds(30),
            logger: TestDatabase.logger
        )
        try await withPoolRunning(pool) {
            let holding = Checkpoint(), release = Checkpoint()
            async let held: Void = pool.withConnection { _ in
                holding.signal()
                await release.wait()
            }
            await holding.wait()
            // Two more callers and one place in the queue: the later one is refused without waiting.
            async let first = outcome { try await pool.query("SELECT 1").first?.decode(Int.self, at: 0) }
            async let second = outcome { try await pool.query("SELECT 2").first?.decode(Int.self, at: 0) }
            try await Task.sleep(for: .milliseconds(300))
            release.signal()
            let outcomes = [await first, await second]
            try await held
            let exhausted = outcomes.filter {
                if case .failure(let error) = $0 { (error as? PostgresError)?.code == .poolExhausted } else { false }
            }
            #expect(exhausted.count == 1)
            #expect(outcomes.filter { if case .success = $0 { true } else { false } }.count == 1)
        }
    }

    private func outcome<T: Sendable>(_ body: () async throws -> T) async -> Result<T, any Error> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }

    private func withPoolRunning(_ pool: PostgresConnectionPool, _ body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            do {
                try await body()
            } catch {
                await pool.shutdown()
                throw error
            }
            await pool.shutdown()
            try await group.waitForAll()
        }
    }
}

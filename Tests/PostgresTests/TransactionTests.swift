import Postgres
import RepriseTestSupport
import Testing

@Suite struct TransactionTests {
    private struct Boom: Error, Equatable {
        let id: Int
    }

    private func count(_ schema: String, on connection: PostgresConnection) async throws -> Int {
        try await connection.query("SELECT count(*) FROM \(identifier: schema).items").first!.decode(Int.self, at: 0)
    }

    private func withItemsTable(_ body: (PostgresConnection, String) async throws -> Void) async throws {
        try await TestDatabase.withSchema { connection, schema in
            try await connection.query("CREATE TABLE \(identifier: schema).items (id int PRIMARY KEY)")
            try await body(connection, schema)
        }
    }

    @Test func committedWorkIsVisibleToOthers() async throws {
        try await withItemsTable { connection, schema in
            let value = try await connection.withTransaction { transaction in
                try await transaction.query("INSERT INTO \(identifier: schema).items VALUES (1), (2)")
                return "done"
            }
            #expect(value == "done")
            let observed = try await TestDatabase.withConnection { try await count(schema, on: $0) }
            #expect(observed == 2)
        }
    }

    @Test func thrownErrorRollsBackAndIsRethrownUnchanged() async throws {
        try await withItemsTable { connection, schema in
            await #expect(throws: Boom(id: 7)) {
                try await connection.withTransaction { transaction in
                    try await transaction.query("INSERT INTO \(identifier: schema).items VALUES (1)")
                    throw Boom(id: 7)
                }
            }
            #expect(try await count(schema, on: connection) == 0)
            // The session is out of the transaction and usable.
            try await connection.query("INSERT INTO \(identifier: schema).items VALUES (1)")
            #expect(try await count(schema, on: connection) == 1)
        }
    }

    @Test func failingStatementIsRethrownAndRolledBack() async throws {
        try await withItemsTable { connection, schema in
            let error = await #expect(throws: PostgresError.self) {
                try await connection.withTransaction(isolation: .repeatableRead) { transaction in
                    try await transaction.query("INSERT INTO \(identifier: schema).items VALUES (1)")
                    try await transaction.query("INSERT INTO \(identifier: schema).items VALUES (1)")
                }
            }
            #expect(error?.code == .uniqueViolation)
            let remaining = try await count(schema, on: connection)
            #expect(remaining == 0)
        }
    }

    @Test func swallowedFailureRefusesToCommit() async throws {
        try await withItemsTable { connection, schema in
            let error = await #expect(throws: PostgresError.self) {
                try await connection.withTransaction { transaction in
                    try await transaction.query("INSERT INTO \(identifier: schema).items VALUES (1)")
                    _ = try? await transaction.query("INSERT INTO \(identifier: schema).items VALUES (1)")
                }
            }
            #expect(error?.code == .inFailedSQLTransaction)
            let remaining = try await count(schema, on: connection)
            #expect(remaining == 0)
        }
    }

    @Test func cancellationRollsBack() async throws {
        try await withItemsTable { connection, schema in
            let inserted = Checkpoint()
            let task = Task {
                try await connection.withTransaction { transaction in
                    try await transaction.query("INSERT INTO \(identifier: schema).items VALUES (1)")
                    inserted.signal()
                    // Sleeps until cancelled; Task.sleep throws CancellationError then.
                    try await Task.sleep(for: .seconds(600))
                }
            }
            await inserted.wait()
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            let remaining = try await count(schema, on: connection)
            #expect(remaining == 0)
        }
    }
}

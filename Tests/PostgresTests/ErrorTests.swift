import Postgres
import RepriseTestSupport
import Testing

@Suite struct ErrorTests {
    @Test func codesKnowTheirClassAndRetryability() {
        #expect(PostgresError.Code.uniqueViolation.class == "23")
        #expect(PostgresError.Code(sqlState: "XX000").class == "XX")
        #expect(PostgresError.Code(sqlState: "XX000").rawValue == "XX000")
        #expect(PostgresError.Code(sqlState: "23505") == .uniqueViolation)
        #expect(PostgresError.Code.poolClosed.class == "")
        #expect(PostgresError.Code.serializationFailure.isRetryable)
        #expect(PostgresError.Code.deadlockDetected.isRetryable)
        #expect(PostgresError.Code.connectionClosed.isRetryable)
        #expect(!PostgresError.Code.uniqueViolation.isRetryable)
    }

    @Test func uniqueViolationNamesTheConstraint() async throws {
        try await TestDatabase.withSchema { connection, schema in
            try await connection.query("CREATE TABLE \(identifier: schema).users (email text CONSTRAINT users_email_key UNIQUE)")
            try await connection.query("INSERT INTO \(identifier: schema).users VALUES (\("a@example.com"))")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("INSERT INTO \(identifier: schema).users VALUES (\("a@example.com"))")
            }
            #expect(error?.code == .uniqueViolation)
            #expect(error?.sqlState == "23505")
            #expect(error?.constraint == "users_email_key")
            #expect(error?.table == "users")
            #expect(error?.query?.contains("INSERT INTO") == true)
            // The query is recorded as SQL with placeholders; the description leaves out the detail with the value.
            #expect(error?.query?.contains("a@example.com") == false)
            #expect(error?.detail?.contains("a@example.com") == true)
            #expect(error.map { String(describing: $0).contains("a@example.com") } == false)
        }
    }

    @Test func statementErrorsMapToCodes() async throws {
        try await TestDatabase.withConnection { connection in
            let syntax = await #expect(throws: PostgresError.self) { try await connection.query("SELEC 1") }
            #expect(syntax?.code == .syntaxError)
            let table = await #expect(throws: PostgresError.self) { try await connection.query("SELECT * FROM no_such_table_here") }
            #expect(table?.code == .undefinedTable)
            let column = await #expect(throws: PostgresError.self) { try await connection.query("SELECT no_such_column FROM pg_class") }
            #expect(column?.code == .undefinedColumn)
            let function = await #expect(throws: PostgresError.self) { try await connection.query("SELECT no_such_function()") }
            #expect(function?.code == .undefinedFunction)
            let text = await #expect(throws: PostgresError.self) { try await connection.query("SELECT \("abc")::int") }
            #expect(text?.code == .invalidTextRepresentation)
            let raised = await #expect(throws: PostgresError.self) {
                try await connection.simpleQuery("DO $$ BEGIN RAISE EXCEPTION 'custom failure' USING HINT = 'try again'; END $$")
            }
            #expect(raised?.code == .raiseException)
            #expect(raised?.message == "custom failure")
            #expect(raised?.hint == "try again")
            // Errors leave the session usable.
            let one = try await connection.query("SELECT 1").first?.decode(Int.self, at: 0)
            #expect(one == 1)
        }
    }

    @Test func serializationFailureBetweenConcurrentSerializableTransactions() async throws {
        try await TestDatabase.withSchema { first, schema in
            try await first.query("CREATE TABLE \(identifier: schema).accounts (id int PRIMARY KEY, balance int)")
            try await first.query("INSERT INTO \(identifier: schema).accounts VALUES (1, 100)")
            try await TestDatabase.withConnection { second in
                let error = await #expect(throws: PostgresError.self) {
                    try await second.withTransaction(isolation: .serializable) { second in
                        // Takes the snapshot that the other transaction then invalidates.
                        try await second.query("SELECT balance FROM \(identifier: schema).accounts WHERE id = 1")
                        try await first.withTransaction(isolation: .serializable) { first in
                            try await first.query("UPDATE \(identifier: schema).accounts SET balance = balance - 10 WHERE id = 1")
                        }
                        try await second.query("UPDATE \(identifier: schema).accounts SET balance = balance - 20 WHERE id = 1")
                    }
                }
                #expect(error?.code == .serializationFailure)
                #expect(error?.code.isRetryable == true)
            }
            let balance = try await first.query("SELECT balance FROM \(identifier: schema).accounts")
            #expect(try balance.first?.decode(Int.self, at: 0) == 90)
        }
    }

    @Test func connectionRefused() async throws {
        let configuration = PostgresConfiguration(url: "postgresql://reprise@127.0.0.1:1/reprise")
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(configuration, logger: TestDatabase.logger)
        }
        #expect(error?.code == .connectionRefused)
    }

    @Test func unknownDatabaseFailsToConnect() async throws {
        let url = TestEnvironment.postgresURL.split(separator: "/").dropLast().joined(separator: "/") + "/no_such_database_here"
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(PostgresConfiguration(url: url), logger: TestDatabase.logger)
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.message.contains("no_such_database_here") == true)
    }

    @Test(arguments: [
        "postgresql://reprise@127.0.0.1:55432/reprise?no_such_option=1",
        "not a url at all",
        "postgresql://reprise@[::1:55432/reprise",
    ])
    func malformedURLIsAClearError(url: String) async throws {
        let configuration = PostgresConfiguration(url: url)
        let validation = #expect(throws: PostgresError.self) { try configuration.validate() }
        #expect(validation?.code == .connectionFailed)
        #expect(validation?.message.hasPrefix("invalid PostgreSQL URL: ") == true)
        let connect = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(configuration, logger: TestDatabase.logger)
        }
        #expect(connect?.code == .connectionFailed)
    }

    @Test func passwordStaysOutOfURLErrors() {
        let configuration = PostgresConfiguration(url: "postgresql://user:sekrit@localhost/db?bogus=1")
        let error = #expect(throws: PostgresError.self) { try configuration.validate() }
        #expect(error.map { String(describing: $0).contains("sekrit") } == false)
    }
}

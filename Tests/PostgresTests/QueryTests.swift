import Postgres
import RepriseTestSupport
import Testing

@Suite struct QueryTests {
    @Test func interpolationTurnsValuesIntoBinds() {
        let name = "Robert'); DROP TABLE students; --"
        let query: PostgresQuery = "SELECT * FROM \(identifier: "my \"odd\" table") WHERE id = \(42) AND name = \(name)"
        #expect(query.sql == #"SELECT * FROM "my ""odd"" table" WHERE id = $1 AND name = $2"#)
        #expect(query.binds.count == 2)
        #expect(!query.description.contains("Robert"))
        // A quote followed by a combining mark is one Character but still a quote to the server.
        #expect(PostgresQuery.quoteIdentifier("a\"\u{301}b") == "\"a\"\"\u{301}b\"")
    }

    @Test func injectionThroughAValueStaysData() async throws {
        try await TestDatabase.withSchema { connection, schema in
            try await connection.query("CREATE TABLE \(identifier: schema).people (name text)")
            let attacks = [
                "Robert'); DROP TABLE people; --",
                "' OR '1'='1",
                "$1",
                "\\'; SELECT pg_sleep(10); --",
            ]
            for attack in attacks {
                try await connection.query("INSERT INTO \(identifier: schema).people (name) VALUES (\(attack))")
            }
            let matches = try await connection.query("SELECT count(*) FROM \(identifier: schema).people WHERE name = \(attacks[1])")
            #expect(try matches.first?.decode(Int.self, at: 0) == 1)
            let names = try await connection.query("SELECT name FROM \(identifier: schema).people ORDER BY name").map {
                try $0.decode(String.self, at: 0)
            }
            #expect(names == attacks.sorted())
        }
    }

    @Test func quotedIdentifiersWork() async throws {
        try await TestDatabase.withSchema { connection, schema in
            let table = "we\"ird; DROP TABLE x; --"
            try await connection.query("CREATE TABLE \(identifier: schema).\(identifier: table) (\(identifier: "Mixed Case") int)")
            try await connection.query("INSERT INTO \(identifier: schema).\(identifier: table) VALUES (\(7))")
            let rows = try await connection.query("SELECT * FROM \(identifier: schema).\(identifier: table)")
            #expect(rows.columnNames == ["Mixed Case"])
            #expect(try rows.first?.decode(Int.self, column: "Mixed Case") == 7)
        }
    }

    @Test func rowsReportCountsAndColumns() async throws {
        try await TestDatabase.withSchema { connection, schema in
            try await connection.query("CREATE TABLE \(identifier: schema).t (id int8, label text)")
            let inserted = try await connection.query("INSERT INTO \(identifier: schema).t SELECT g, 'n' || g FROM generate_series(1, 25) g")
            #expect(inserted.affectedRows == 25)
            #expect(inserted.isEmpty)
            let updated = try await connection.query("UPDATE \(identifier: schema).t SET label = \("x") WHERE id > \(20)")
            #expect(updated.affectedRows == 5)
            let rows = try await connection.query("SELECT id, label FROM \(identifier: schema).t ORDER BY id")
            #expect(rows.count == 25)
            #expect(rows.affectedRows == 25)
            #expect(rows.columnNames == ["id", "label"])
            #expect(try rows[24].decode(String.self, column: "label") == "x")
            #expect(try rows.map { try $0.decode(Int64.self, at: 0) } == Array(1...25))
        }
    }

    @Test func copyThroughQueryIsRefusedCleanly() async throws {
        try await TestDatabase.withSchema { connection, schema in
            try await connection.query("CREATE TABLE \(identifier: schema).t (id int)")
            try await connection.query("INSERT INTO \(identifier: schema).t VALUES (1), (2)")
            for sql in ["COPY \(PostgresQuery.quoteIdentifier(schema)).t FROM STDIN", "COPY \(PostgresQuery.quoteIdentifier(schema)).t TO STDOUT"] {
                let error = await #expect(throws: PostgresError.self) { try await connection.simpleQuery(sql) }
                #expect(error?.code == .protocolViolation)
            }
            let count = try await connection.query("SELECT count(*) FROM \(identifier: schema).t")
            #expect(try count.first?.decode(Int.self, at: 0) == 2)
        }
    }

    @Test func simpleQueryRunsSeveralStatements() async throws {
        try await TestDatabase.withSchema { connection, schema in
            let quoted = PostgresQuery.quoteIdentifier(schema)
            try await connection.simpleQuery("""
                CREATE TABLE \(quoted).a (id int);
                INSERT INTO \(quoted).a VALUES (1), (2);
                CREATE TABLE \(quoted).b AS SELECT id * 10 AS id FROM \(quoted).a;
                """)
            let sum = try await connection.query("SELECT sum(id) FROM \(identifier: schema).b")
            #expect(try sum.first?.decode(Int.self, at: 0) == 30)
        }
    }

    @Test func preparedStatementIsReusedOnOneConnection() async throws {
        try await TestDatabase.withSchema { connection, schema in
            try await connection.query("CREATE TABLE \(identifier: schema).events (n int8 PRIMARY KEY, body text)")
            let insert = PostgresPreparedStatement(
                name: "insert_event",
                sql: "INSERT INTO \(PostgresQuery.quoteIdentifier(schema)).events (n, body) VALUES ($1, $2)"
            )
            for n in 0..<300 {
                let inserted = try await connection.execute(insert, [Int64(n), "event \(n) ✓"])
                #expect(inserted.affectedRows == 1)
            }
            let prepared = try await connection.query("SELECT count(*) FROM pg_prepared_statements WHERE name = 'insert_event'")
            #expect(try prepared.first?.decode(Int.self, at: 0) == 1)
            let count = try await connection.query("SELECT count(*), max(body) FROM \(identifier: schema).events")
            #expect(try count.first?.decode(Int.self, at: 0) == 300)

            let clash = PostgresPreparedStatement(name: "insert_event", sql: "SELECT 1")
            let error = await #expect(throws: PostgresError.self) { try await connection.execute(clash) }
            #expect(error?.code == .protocolViolation)
        }
    }

    @Test func preparedStatementOnPooledConnections() async throws {
        try await TestDatabase.withSchema { connection, schema in
            try await connection.query("CREATE TABLE \(identifier: schema).hits (worker int8, n int8)")
            let insert = PostgresPreparedStatement(
                name: "insert_hit",
                sql: "INSERT INTO \(PostgresQuery.quoteIdentifier(schema)).hits VALUES ($1, $2) RETURNING pg_backend_pid()"
            )
            let pids = try await TestDatabase.withPool(maxConnections: 3) { pool in
                try await withThrowingTaskGroup(of: [Int32].self) { group in
                    for worker in 0..<6 {
                        group.addTask {
                            var pids: [Int32] = []
                            for n in 0..<20 {
                                let rows = try await pool.execute(insert, [Int64(worker), Int64(n)])
                                pids.append(try rows[0].decode(Int32.self, at: 0))
                            }
                            return pids
                        }
                    }
                    return try await group.reduce(into: Set<Int32>()) { $0.formUnion($1) }
                }
            }
            #expect((1...3).contains(pids.count))
            let count = try await connection.query("SELECT count(*) FROM \(identifier: schema).hits")
            #expect(try count.first?.decode(Int.self, at: 0) == 120)
        }
    }
}

import Postgres
import RepriseTestSupport
import Testing

/// Names computed at run time go into SQL as checked, quoted identifiers, and pieces of
/// SQL from the code splice in as they are; values stay binds.
@Suite struct IdentifierTests {
    @Test func anIdentifierIsQuotedNeverBound() throws {
        let generation = 12
        let table = try PostgresIdentifier("scores_g\(generation)")
        let odd: PostgresIdentifier = #"we"ird; DROP TABLE x; --"#
        let query: PostgresQuery = "SELECT * FROM \(table), \(odd) WHERE id = \(42) AND label = \("x")"
        #expect(query.sql == #"SELECT * FROM "scores_g12", "we""ird; DROP TABLE x; --" WHERE id = $1 AND label = $2"#)
        #expect(query.binds.count == 2)
        #expect(odd.name == #"we"ird; DROP TABLE x; --"#)
        #expect(odd.quoted == PostgresQuery.quoteIdentifier(odd.name))
    }

    @Test func namesTheServerWouldNotKeepAsWrittenAreRefused() {
        let longest = String(repeating: "a", count: PostgresIdentifier.maximumLength)
        #expect(throws: Never.self) { try PostgresIdentifier(longest) }
        // 62 ASCII bytes and a two-byte letter: 64 bytes, though 63 characters.
        let tooLong = [String(repeating: "a", count: 64), String(repeating: "a", count: 62) + "é"]
        for name in ["", "nul\u{0}inside"] + tooLong {
            let error = #expect(throws: PostgresError.self) { try PostgresIdentifier(name) }
            #expect(error?.code == .invalidIdentifier, "\(name.debugDescription)")
        }
    }

    @Test func aFragmentFromTheCodeSplicesAsItIsAndBindsKeepCounting() {
        let columns: PostgresQuery = "market, surface"
        let table: PostgresIdentifier = "promotion_scores_g1"
        let query: PostgresQuery = "SELECT \(columns) FROM \(table) WHERE market = \("SE") AND surface = \("home")"
        #expect(query.sql == #"SELECT market, surface FROM "promotion_scores_g1" WHERE market = $1 AND surface = $2"#)
        #expect(query.binds.count == 2)
    }

    @Test func identifiersAndBindsWorkAgainstTheServer() async throws {
        try await TestDatabase.withSchema { connection, schema in
            let schemaName = try PostgresIdentifier(schema)
            let table: PostgresIdentifier = "Mixed \"Case\" g1"
            let columns: PostgresQuery = "id int8 PRIMARY KEY, label text NOT NULL"
            try await connection.query("CREATE TABLE \(schemaName).\(table) (\(columns))")
            try await connection.query("INSERT INTO \(schemaName).\(table) (id, label) VALUES (\(Int64(7)), \("seven"))")
            let rows = try await connection.query("SELECT label FROM \(schemaName).\(table) WHERE id = \(Int64(7))")
            #expect(try rows.first?.decode(String.self, at: 0) == "seven")
            let names = try await connection.query(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = \(schema)"
            ).map { try $0.decode(String.self, at: 0) }
            #expect(names == ["Mixed \"Case\" g1"])
        }
    }
}

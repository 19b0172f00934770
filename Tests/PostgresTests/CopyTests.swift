import Foundation
import Postgres
import RepriseTestSupport
import Testing

@Suite struct CopyTests {
    private static let awkwardTexts = [
        "plain",
        "tab\there",
        "new\nline and\r\ncrlf",
        "back\\slash and \\N and \\t literally",
        "\\",
        "",
        "unicode: 👩‍👩‍👧 e\u{301} שלום",
        "\"quoted\" 'single'",
        "trailing tab\t",
        "\\.",
    ]

    private struct Row: Equatable {
        var id: Int64
        var text: String?
        var bytes: [UInt8]
        var when: Date
        var flag: Bool?
    }

    private static func row(_ n: Int) -> Row {
        let text: String? = n % 11 == 0 ? nil : awkwardTexts[n % awkwardTexts.count] + " #\(n)"
        let bytes: [UInt8] = n % 7 == 0 ? [] : [UInt8(n % 256), 0, 0x5C, 0x09, 0x0A]
        let flag: Bool? = n % 3 == 0 ? nil : n % 2 == 0
        return Row(id: Int64(n), text: text, bytes: bytes, when: Date(timeIntervalSinceReferenceDate: Double(n) * 1_000.5), flag: flag)
    }

    @Test func tenThousandAwkwardRowsRoundTrip() async throws {
        let rows = (0..<10_000).map(Self.row)
        try await TestDatabase.withSchema { connection, schema in
            try await connection.query("""
                CREATE TABLE \(identifier: schema).imports (
                    id int8 PRIMARY KEY, body text, payload bytea NOT NULL, at timestamptz NOT NULL, flag bool
                )
                """)
            let copied = try await connection.copyFrom(
                table: "imports",
                schema: schema,
                columns: ["id", "body", "payload", "at", "flag"],
                rows: rows.lazy.map { row in
                    [PostgresCopyValue(row.id), PostgresCopyValue(row.text), PostgresCopyValue(row.bytes),
                     PostgresCopyValue(row.when), PostgresCopyValue(row.flag)]
                }
            )
            #expect(copied == rows.count)

            let stored = try await connection.query("SELECT id, body, payload, at, flag FROM \(identifier: schema).imports ORDER BY id")
            let decoded = try stored.map { row in
                Row(
                    id: try row.decode(at: 0),
                    text: try row.decode(at: 1),
                    bytes: try row.decode(at: 2),
                    when: try row.decode(at: 3),
                    flag: try row.decode(at: 4)
                )
            }
            #expect(decoded.count == rows.count)
            #expect(decoded == rows)
        }
    }

    @Test func constraintViolationInsertsNothing() async throws {
        try await TestDatabase.withSchema { connection, schema in
            try await connection.query("CREATE TABLE \(identifier: schema).t (id int8 PRIMARY KEY, body text NOT NULL)")
            let rows: [[PostgresCopyValue]] = (0..<5_000).map { [PostgresCopyValue(Int64($0 % 4_000)), "row"] }
            let error = await #expect(throws: PostgresError.self) {
                try await connection.copyFrom(table: "t", schema: schema, columns: ["id", "body"], rows: rows)
            }
            #expect(error?.code == .uniqueViolation)
            let notNull = await #expect(throws: PostgresError.self) {
                try await connection.copyFrom(table: "t", schema: schema, columns: ["id", "body"], rows: [[1, "ok"], [2, nil]])
            }
            #expect(notNull?.code == .notNullViolation)
            let count = try await connection.query("SELECT count(*) FROM \(identifier: schema).t")
            #expect(try count.first?.decode(Int.self, at: 0) == 0)
        }
    }

    @Test func clientSideProblemsAbortTheCopy() async throws {
        try await TestDatabase.withSchema { connection, schema in
            try await connection.query("CREATE TABLE \(identifier: schema).t (id int8, body text)")
            // Enough good rows first that some data has been sent before the bad one.
            let good: [[PostgresCopyValue]] = (0..<60_000).map { [PostgresCopyValue(Int64($0)), "padding padding padding"] }
            let nul = await #expect(throws: PostgresError.self) {
                try await connection.copyFrom(table: "t", schema: schema, columns: ["id", "body"], rows: good + [[1, "a\u{0}b"]])
            }
            #expect(nul?.code == .characterNotInRepertoire)
            let width = await #expect(throws: PostgresError.self) {
                try await connection.copyFrom(table: "t", schema: schema, columns: ["id", "body"], rows: [[1, "a"], [2]])
            }
            #expect(width?.code == .encodingFailed)
            let missing = await #expect(throws: PostgresError.self) {
                try await connection.copyFrom(table: "missing", schema: schema, columns: ["id"], rows: [[1]])
            }
            #expect(missing?.code == .undefinedTable)

            let count = try await connection.query("SELECT count(*) FROM \(identifier: schema).t")
            #expect(try count.first?.decode(Int.self, at: 0) == 0)
            #expect(try await connection.copyFrom(table: "t", schema: schema, columns: ["id", "body"], rows: [[1, "fine"]]) == 1)
        }
    }
}

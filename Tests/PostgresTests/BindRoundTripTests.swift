import Foundation
import Postgres
import RepriseTestSupport
import Testing

/// Values go in as binds, are stored in columns of the matching type, and come back unchanged.
@Suite struct BindRoundTripTests {
    /// Stores `values` in a temp table column of `sqlType` and reads them back in order.
    private func roundTrip<T: PostgresEncodable & PostgresDecodable>(
        _ values: [T],
        as sqlType: PostgresQuery,
        on connection: PostgresConnection
    ) async throws -> [T] {
        let table = TestEnvironment.uniqueName("roundtrip")
        try await connection.query("CREATE TEMP TABLE \(identifier: table) (n int, v \(sqlType))")
        for (index, value) in values.enumerated() {
            try await connection.query("INSERT INTO \(identifier: table) (n, v) VALUES (\(index), \(value))")
        }
        let rows = try await connection.query("SELECT v FROM \(identifier: table) ORDER BY n")
        try await connection.query("DROP TABLE \(identifier: table)")
        return try rows.map { try $0.decode(T.self, at: 0) }
    }

    private func expectRoundTrip<T: PostgresEncodable & PostgresDecodable & Equatable>(
        _ values: [T],
        as sqlType: PostgresQuery,
        on connection: PostgresConnection,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let decoded = try await roundTrip(values, as: sqlType, on: connection)
        #expect(decoded == values, sourceLocation: sourceLocation)
    }

    @Test func unicodeTextRoundTripsExactly() async throws {
        let texts = [
            "",
            "plain ascii",
            "emoji 👩‍👩‍👧‍👦 🎉 🇸🇪",
            "combining e\u{301} a\u{308}\u{304} and precomposed \u{e9}",
            "right-to-left שלום עולם and عربي",
            "quotes ' \" and backslash \\ and semicolon ; -- comment",
            "line\nbreak\ttab\rreturn",
            "\u{FEFF}byte order mark, \u{200B}zero width",
            String(repeating: "long ✓ ", count: 20_000),
        ]
        try await TestDatabase.withConnection { connection in
            let decoded = try await roundTrip(texts, as: "text", on: connection)
            // Swift's String == compares canonically; compare scalars so normalisation would show up.
            #expect(decoded.map { Array($0.unicodeScalars) } == texts.map { Array($0.unicodeScalars) })

            for text in texts.prefix(8) {
                let row = try #require(try await connection.query("SELECT octet_length(\(text)::text), \(text)::text = \(text)").first)
                #expect(try row.decode(Int.self, at: 0) == text.utf8.count)
                #expect(try row.decode(Bool.self, at: 1))
            }
        }
    }

    @Test func textWithNULIsRejected() async throws {
        try await TestDatabase.withConnection { connection in
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("SELECT \("before\u{0}after")::text")
            }
            #expect(error?.code == .characterNotInRepertoire)
            #expect(error?.message.contains("$1") == true)
            #expect(error?.message.contains("NUL") == true)
            // Nothing was sent, so the session is fine.
            let one = try await connection.query("SELECT 1").first?.decode(Int.self, at: 0)
            #expect(one == 1)
        }
    }

    @Test func nullForEveryTypeThroughOptional() async throws {
        try await TestDatabase.withConnection { connection in
            let table = TestEnvironment.uniqueName("nulls")
            try await connection.query("""
                CREATE TEMP TABLE \(identifier: table) (
                    s text, i int8, i4 int4, i2 int2, n int8, b bool, d float8, f float4, bytes bytea,
                    ts timestamptz, id uuid, doc jsonb, texts text[], numbers int8[]
                )
                """)
            try await connection.query("""
                INSERT INTO \(identifier: table) VALUES (
                    \(String?.none), \(Int64?.none), \(Int32?.none), \(Int16?.none), \(Int?.none), \(Bool?.none),
                    \(Double?.none), \(Float?.none), \([UInt8]?.none), \(Date?.none), \(UUID?.none),
                    \(PostgresJSONB?.none), \([String]?.none), \([Int64]?.none)
                )
                """)
            let row = try #require(try await connection.query("SELECT * FROM \(identifier: table)").first)
            for column in row.columnNames.indices {
                #expect(row.isNull(at: column))
            }
            #expect(try row.decode(String?.self, at: 0) == nil)
            #expect(try row.decode(Int64?.self, at: 1) == nil)
            #expect(try row.decode(Int32?.self, at: 2) == nil)
            #expect(try row.decode(Int16?.self, at: 3) == nil)
            #expect(try row.decode(Int?.self, at: 4) == nil)
            #expect(try row.decode(Bool?.self, at: 5) == nil)
            #expect(try row.decode(Double?.self, at: 6) == nil)
            #expect(try row.decode(Float?.self, at: 7) == nil)
            #expect(try row.decode([UInt8]?.self, at: 8) == nil)
            #expect(try row.decode(Date?.self, at: 9) == nil)
            #expect(try row.decode(UUID?.self, at: 10) == nil)
            #expect(try row.decode(PostgresJSONB?.self, at: 11) == nil)
            #expect(try row.decode([String]?.self, at: 12) == nil)
            #expect(try row.decode([Int64]?.self, at: 13) == nil)

            let error = #expect(throws: PostgresError.self) { try row.decode(Int64.self, column: "i") }
            #expect(error?.code == .decodingFailed)
            #expect(error?.column == "i")
            #expect(error?.message.contains("NULL") == true)
        }
    }

    @Test func byteaCarriesEveryByteValue() async throws {
        let allBytes = (0...255).map(UInt8.init)
        let values: [[UInt8]] = [allBytes, [], [0], Array(allBytes.reversed()), [UInt8](repeating: 0x5C, count: 1000)]
        try await TestDatabase.withConnection { connection in
            try await expectRoundTrip(values, as: "bytea", on: connection)
            let row = try #require(try await connection.query("SELECT octet_length(\(allBytes)), get_byte(\(allBytes), 0), get_byte(\(allBytes), 255)").first)
            #expect(try row.decode(Int.self, at: 0) == 256)
            #expect(try row.decode(Int.self, at: 1) == 0)
            #expect(try row.decode(Int.self, at: 2) == 255)
        }
    }

    private struct Profile: Codable, Equatable, Sendable {
        struct Address: Codable, Equatable, Sendable {
            var city: String
            var lines: [String]
        }

        var name: String
        var age: Int
        var tags: [String]
        var address: Address
        var nickname: String?
    }

    @Test func jsonbRoundTrips() async throws {
        let profile = Profile(
            name: "Zoë \"Z\" Ångström 🎻",
            age: 41,
            tags: ["a\\b", "ü", "日本語"],
            address: .init(city: "Malmö", lines: ["Storgatan 1", "לב"]),
            nickname: nil
        )
        try await TestDatabase.withConnection { connection in
            let stored = try await roundTrip([try PostgresJSONB(encoding: profile)], as: "jsonb", on: connection)
            #expect(try stored[0].decode(Profile.self) == profile)

            let raw = PostgresJSONB(rawJSON: #"{"b": [1, 2, {"ü": "👍", "nested": {"deep": "e\u0301"}}], "a": null}"#)
            let row = try #require(try await connection.query("""
                SELECT \(raw) -> 'b' -> 2 ->> 'ü', \(raw) -> 'b' -> 2 -> 'nested' ->> 'deep', \(raw) AS doc,
                       \(try PostgresJSONB(encoding: profile)) AS profile
                """).first)
            #expect(try row.decode(String.self, at: 0) == "👍")
            #expect(try row.decode(String.self, at: 1).unicodeScalars.elementsEqual("e\u{301}".unicodeScalars))
            #expect(try row.decode(Profile.self, fromJSONColumn: "profile") == profile)
            let echoed = try row.decode(PostgresJSONB.self, column: "doc")
            #expect(try await connection.query("SELECT \(echoed) = \(raw)").first?.decode(Bool.self, at: 0) == true)
        }
    }

    @Test func integersAtTheirBounds() async throws {
        try await TestDatabase.withConnection { connection in
            let int64s: [Int64] = [.max, .min, 0, -1, 1]
            try await expectRoundTrip(int64s, as: "int8", on: connection)
            let int32s: [Int32] = [.max, .min, 0]
            try await expectRoundTrip(int32s, as: "int4", on: connection)
            let int16s: [Int16] = [.max, .min, 0]
            try await expectRoundTrip(int16s, as: "int2", on: connection)
            let ints: [Int] = [.max, .min, 42]
            try await expectRoundTrip(ints, as: "int8", on: connection)

            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("SELECT \(Int64(Int32.max) + 1)::int4")
            }
            #expect(error?.code == .numericValueOutOfRange)
        }
    }

    @Test func floatsAndBooleans() async throws {
        try await TestDatabase.withConnection { connection in
            let doubles: [Double] = [0, 0.1, -2.5, .pi, 1e-300, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .infinity, -.infinity]
            try await expectRoundTrip(doubles, as: "float8", on: connection)
            let nan = try await roundTrip([Double.nan], as: "float8", on: connection)
            #expect(nan[0].isNaN)
            let floats: [Float] = [0.1, -3.25, .greatestFiniteMagnitude, .infinity]
            try await expectRoundTrip(floats, as: "float4", on: connection)
            try await expectRoundTrip([true, false], as: "bool", on: connection)
        }
    }

    /// Whole microseconds after 1970, the way the tests spell exact timestamps.
    private static func date(micros: Int64) -> Date {
        Date(timeIntervalSinceReferenceDate: Double(micros - 978_307_200_000_000) / 1e6)
    }

    @Test func timestamptzKeepsMicrosecondsAcrossTheCalendar() async throws {
        let cases: [(Date, String)] = [
            (Self.date(micros: 0), "1970-01-01 00:00:00+00"),
            (Self.date(micros: 1), "1970-01-01 00:00:00.000001+00"),
            (Self.date(micros: -1), "1969-12-31 23:59:59.999999+00"),
            (Self.date(micros: 1_709_641_496_123_456), "2024-03-05 12:24:56.123456+00"),
            (Self.date(micros: -14_182_939_876_544), "1969-07-20 20:17:40.123456+00"),
            (Self.date(micros: 951_782_400_000_000), "2000-02-29 00:00:00+00"),
            (Self.date(micros: -2_208_988_800_000_000), "1900-01-01 00:00:00+00"),
            (Self.date(micros: -12_219_292_800_000_000), "1582-10-15 00:00:00+00"),
            (Self.date(micros: -62_135_596_800_000_000), "0001-01-01 00:00:00+00"),
            (Self.date(micros: -62_135_596_801_000_000), "0001-12-31 23:59:59+00 BC"),
            (Self.date(micros: 253_402_300_799_000_000), "9999-12-31 23:59:59+00"),
            (Self.date(micros: 16_725_225_600_000_000), "2500-01-01 00:00:00+00"),
        ]
        try await TestDatabase.withConnection { connection in
            try await connection.query("SET TIME ZONE 'UTC'")
            let decoded = try await roundTrip(cases.map(\.0), as: "timestamptz", on: connection)
            #expect(decoded == cases.map(\.0))
            for (date, text) in cases {
                // The server's own rendering checks the calendar arithmetic independently of ours.
                let row = try #require(try await connection.query("SELECT \(date)::text, \(date)").first)
                #expect(try row.decode(String.self, at: 0) == text)
                #expect(try row.decode(Date.self, at: 1) == date)
            }

            // Output in other zones, including local mean time with seconds in the offset.
            for zone in ["Asia/Kolkata", "America/New_York", "Pacific/Chatham"] {
                // SET takes no binds; set_config does the same with the zone as a bind.
                try await connection.query("SELECT set_config('TimeZone', \(zone), false)")
                for (date, _) in cases {
                    let row = try #require(try await connection.query("SELECT \(date), \(date)::text").first)
                    let text = try row.decode(String.self, at: 1)
                    #expect(try row.decode(Date.self, at: 0) == date, "\(zone): \(text)")
                }
            }
        }
    }

    @Test func uuidRoundTrips() async throws {
        let ids = [UUID(), UUID(), UUID(uuidString: "00000000-0000-0000-0000-000000000000")!]
        try await TestDatabase.withConnection { connection in
            try await expectRoundTrip(ids, as: "uuid", on: connection)
            let row = try #require(try await connection.query("SELECT \(ids[0]), pg_typeof(\(ids[0]))::text").first)
            #expect(try row.decode(UUID.self, at: 0) == ids[0])
            #expect(try row.decode(String.self, at: 1) == "uuid")
        }
    }

    @Test func textAndBigintArrays() async throws {
        let awkward = [
            "plain", "", "with \"quotes\"", "comma,comma", "back\\slash", "NULL", "null", " padded ",
            "{braces}", "emoji 🎉", "new\nline", "\\\"", "'single'",
        ]
        try await TestDatabase.withConnection { connection in
            let texts = try await roundTrip([awkward, [], [""]], as: "text[]", on: connection)
            #expect(texts == [awkward, [], [""]])
            let row = try #require(try await connection.query("""
                SELECT cardinality(\(awkward)), \(awkward)[6] IS NULL, \(awkward)[6], \(awkward)[2]
                """).first)
            #expect(try row.decode(Int.self, at: 0) == awkward.count)
            #expect(try row.decode(Bool.self, at: 1) == false)
            #expect(try row.decode(String.self, at: 2) == "NULL")
            #expect(try row.decode(String.self, at: 3) == "")

            let numbers: [[Int64]] = [[.min, -1, 0, 1, .max], []]
            try await expectRoundTrip(numbers, as: "int8[]", on: connection)
            #expect(try await roundTrip([[1, 2, 3] as [Int]], as: "int8[]", on: connection) == [[1, 2, 3]])

            // The bulk-insert shape these arrays exist for.
            let table = TestEnvironment.uniqueName("unnest")
            try await connection.query("CREATE TEMP TABLE \(identifier: table) (id int8, name text)")
            let ids = awkward.indices.map(Int64.init)
            let inserted = try await connection.query("INSERT INTO \(identifier: table) SELECT * FROM unnest(\(ids), \(awkward))")
            #expect(inserted.affectedRows == awkward.count)
            let names = try await connection.query("SELECT name FROM \(identifier: table) ORDER BY id").map { try $0.decode(String.self, at: 0) }
            #expect(names == awkward)
        }
    }

    @Test func decodingTheWrongTypeNamesTheColumn() async throws {
        try await TestDatabase.withConnection { connection in
            let row = try #require(try await connection.query("SELECT 'abc'::text AS label, 1 AS one").first)
            let error = #expect(throws: PostgresError.self) { try row.decode(Int.self, column: "label") }
            #expect(error?.code == .decodingFailed)
            #expect(error?.message.contains("\"label\"") == true)
            #expect(error?.message.contains("abc") == false)
            #expect(throws: PostgresError.self) { try row.decode(Int.self, column: "missing") }
            #expect(throws: PostgresError.self) { try row.decode(Int.self, at: 7) }
            #expect(try row.decode(Int.self, column: "one") == 1)
        }
    }
}

import Foundation
import Postgres
import Testing

/// Binary results decode to the same values as text results, for every type that reads them.
@Suite struct BinaryResultTests {
    /// The same SELECT, once with text and once with binary results.
    private func both(_ sql: String, on connection: PostgresConnection) async throws -> (text: PostgresRow, binary: PostgresRow) {
        let text = try await connection.query(PostgresQuery(unsafeSQL: sql))
        var query = PostgresQuery(unsafeSQL: sql)
        query.resultFormat = .binary
        let binary = try await connection.query(query)
        return (try #require(text.first), try #require(binary.first))
    }

    @Test func scalarsDecodeAlikeInBothFormats() async throws {
        try await TestDatabase.withConnection { connection in
            let (text, binary) = try await both(
                """
                SELECT 9223372036854775807::int8, (-2147483648)::int4, 32767::int2, 42::int4, true, false,
                       1.5::float8, (-0.25)::float4, 'häj 👋'::text, 'v'::varchar, ''::text,
                       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '\\x00ff10'::bytea, ''::bytea,
                       '2024-03-05 12:34:56.123456+00'::timestamptz, '1970-01-01 00:00:00+00'::timestamptz,
                       '{"b": 1, "a": [true]}'::jsonb, '{"x":1}'::json, NULL::int8, NULL::uuid, NULL::bytea
                """,
                on: connection
            )
            for row in [text, binary] {
                #expect(try row.decode(Int64.self, at: 0) == Int64.max)
                #expect(try row.decode(Int32.self, at: 1) == Int32.min)
                #expect(try row.decode(Int16.self, at: 2) == 32767)
                #expect(try row.decode(Int.self, at: 3) == 42)
                #expect(try row.decode(Bool.self, at: 4) == true)
                #expect(try row.decode(Bool.self, at: 5) == false)
                #expect(try row.decode(Double.self, at: 6) == 1.5)
                #expect(try row.decode(Float.self, at: 7) == -0.25)
                #expect(try row.decode(String.self, at: 8) == "häj 👋")
                #expect(try row.decode(String.self, at: 9) == "v")
                #expect(try row.decode(String.self, at: 10) == "")
                #expect(try row.decode(UUID.self, at: 11) == UUID(uuidString: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
                #expect(try row.decode([UInt8].self, at: 12) == [0x00, 0xFF, 0x10])
                #expect(try row.decode([UInt8].self, at: 13) == [])
                #expect(try row.decode(Date.self, at: 14) == text.decode(Date.self, at: 14))
                #expect(try row.decode(Date.self, at: 15) == Date(timeIntervalSince1970: 0))
                #expect(try row.decode(PostgresJSONB.self, at: 16).rawJSON == #"{"a": [true], "b": 1}"#)
                #expect(try row.decode(PostgresJSONB.self, at: 17).rawJSON == #"{"x":1}"#)
                #expect(try row.decode(Int64?.self, at: 18) == nil)
                #expect(try row.decode(UUID?.self, at: 19) == nil)
                #expect(try row.decode([UInt8]?.self, at: 20) == nil)
            }
            // Microseconds survive: 2024-03-05 12:34:56.123456 UTC.
            let micros = try binary.decode(Date.self, at: 14).timeIntervalSince1970 * 1_000_000
            #expect(micros.rounded() == 1_709_642_096_123_456)
        }
    }

    /// In binary results a text column's bytes are its UTF-8, so `[UInt8]` reads them directly.
    @Test func textColumnsDecodeAsTheirUTF8Bytes() async throws {
        try await TestDatabase.withConnection { connection in
            var query: PostgresQuery = "SELECT \("{\"k\": \"ü\"}")::jsonb::text"
            query.resultFormat = .binary
            let row = try #require(try await connection.query(query).first)
            #expect(try row.decode([UInt8].self, at: 0) == Array(#"{"k": "ü"}"#.utf8))
        }
    }

    @Test func aValueOfAnotherTypeIsADecodingError() async throws {
        try await TestDatabase.withConnection { connection in
            var query: PostgresQuery = "SELECT 70000::int4, 'x'::text, 1::int8"
            query.resultFormat = .binary
            let row = try #require(try await connection.query(query).first)
            #expect(throws: PostgresError.self) { try row.decode(Int16.self, at: 0) }
            #expect(throws: PostgresError.self) { try row.decode(UUID.self, at: 1) }
            #expect(throws: PostgresError.self) { try row.decode(String.self, at: 2) }
            #expect(throws: PostgresError.self) { try row.decode([UInt8].self, at: 2) }
        }
    }

    @Test func preparedStatementsReturnTheirFormat() async throws {
        try await TestDatabase.withConnection { connection in
            let statement = PostgresPreparedStatement(
                name: "binary_result_test", sql: "SELECT $1::int8 + 1, $2::text", resultFormat: .binary
            )
            for round in 0..<2 {
                let row = try #require(try await connection.execute(statement, [Int64(round), "r\(round)"]).first)
                #expect(try row.decode(Int64.self, at: 0) == Int64(round) + 1)
                #expect(try row.decode(String.self, at: 1) == "r\(round)")
            }
        }
    }
}

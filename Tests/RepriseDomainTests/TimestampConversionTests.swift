import Foundation
import RepriseDomain
import RepriseTestSupport
import Testing

/// The one way text and `Date`s become moments (see `Timestamp`).
@Suite struct TimestampConversionTests {
    @Test(arguments: [
        ("2026-11-21T10:00:00Z", "2026-11-21T10:00:00.000000Z"),
        ("2026-11-21T11:30:00.25+01:30", "2026-11-21T10:00:00.250000Z"),
        ("2026-11-21T05:00:00-05:00", "2026-11-21T10:00:00.000000Z"),
        ("2026-11-21T00:30:00+01:00", "2026-11-20T23:30:00.000000Z"),
        ("2026-11-21T10:00:00+00:00", "2026-11-21T10:00:00.000000Z"),
    ])
    func rfc3339TakesZOrAnOffset(_ text: String, _ utc: String) throws {
        #expect(try Timestamp.rfc3339(text).iso8601 == utc)
    }

    @Test(arguments: [
        "2026-11-21T10:00:00", "2026-11-21T10:00:00+01", "2026-11-21T10:00:00+0100", "2026-11-21T10:00:00+24:00",
        "2026-11-21T10:00:00+01:60", "2026-11-21T10:00:00 +01:00", "2026-11-21 10:00:00Z", "2026-11-21T10:00:00.1234567Z",
        "0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00",
    ])
    func rfc3339RefusesEverythingElse(_ text: String) {
        #expect(throws: DomainError.self) { try Timestamp.rfc3339(text) }
    }

    @Test func aDateBecomesTheLatestMicrosecondNotAfterIt() throws {
        // Near 2001, Foundation's reference date, where a Date's Double holds tenths of a microsecond.
        #expect(try Timestamp(atOrBefore: Date(timeIntervalSinceReferenceDate: 1.000_000_9)).iso8601 == "2001-01-01T00:00:01.000000Z")
        #expect(try Timestamp(atOrBefore: Date(timeIntervalSinceReferenceDate: -1.000_000_1)).iso8601 == "2000-12-31T23:59:58.999999Z")
        #expect(try Timestamp(atOrBefore: Date(timeIntervalSince1970: 1_795_255_200.25)).iso8601 == "2026-11-21T10:00:00.250000Z")
        #expect(throws: DomainError.self) { try Timestamp(atOrBefore: Date.distantFuture.addingTimeInterval(1e12)) }
        #expect(throws: DomainError.self) { try Timestamp(atOrBefore: Date(timeIntervalSince1970: .nan)) }
    }

    @Test func aTimestampSurvivesTheTripThroughDate() throws {
        var random = SeededRandom(seed: 9)
        // Years 1900 to 2100: Date's Double holds microseconds there to better than half of one.
        for _ in 0..<10_000 {
            let micros = Int64.random(in: -2_208_988_800_000_000...4_102_444_800_000_000, using: &random)
            let timestamp = try Timestamp(microsecondsSinceEpoch: micros)
            #expect(try Timestamp(atOrBefore: timestamp.date) == timestamp)
        }
    }
}

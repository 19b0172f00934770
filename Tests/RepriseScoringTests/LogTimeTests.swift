import Foundation
import RepriseDomain
import RepriseScoring
import RepriseTestSupport
import Testing

/// The projection's time: the maximum seen, never going back.
@Suite struct LogTimeTests {
    @Test func timeIsTheLatestMomentSeenAndNeverGoesBack() throws {
        var time = LogTime()
        #expect(time.now == nil)
        var moved = time.advance(to: "2026-11-21T10:00:00Z")
        #expect(moved)
        moved = time.advance(to: "2026-11-21T09:59:59.999999Z")
        #expect(!moved, "an event recorded earlier than the last tick")
        #expect(time.now == "2026-11-21T10:00:00Z")
        moved = time.advance(to: "2026-11-21T10:00:00Z")
        #expect(!moved, "the same moment again")
        moved = time.advance(to: "2026-11-21T10:01:00Z")
        #expect(moved)
        #expect(time.now == "2026-11-21T10:01:00Z")
    }

    @Test func theOrderOfMomentsDoesNotChangeTheEnd() throws {
        let moments: [Timestamp] = ["2026-11-21T10:03:00Z", "2026-11-21T10:01:00Z", "2026-11-21T10:04:30Z", "2026-11-21T10:02:00Z"]
        var random = SeededRandom(seed: 11)
        for _ in 0..<10 {
            var time = LogTime()
            for moment in moments.shuffled(using: &random) { time.advance(to: moment) }
            #expect(time.now == "2026-11-21T10:04:30Z")
        }
    }

    @Test func itRoundTripsThroughJSON() throws {
        for time in [LogTime(), LogTime(now: "2026-11-21T10:03:00Z")] {
            #expect(try JSONDecoder().decode(LogTime.self, from: JSONEncoder().encode(time)) == time)
        }
    }
}

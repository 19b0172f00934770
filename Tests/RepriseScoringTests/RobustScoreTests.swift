import RepriseDomain
import RepriseScoring
import RepriseTestSupport
import Testing

/// Issue 11, item 5: the score is robust to a short remaining flight. Before, u = (R/B)/(F/D)
/// grew without bound as the flight ran out, so a 1 EUR campaign whose flight began in year
/// 1 (or ends in two minutes) scored about 1 and took the top of every key it targeted.
@Suite struct RobustScoreTests {
    static let now: Timestamp = "2026-11-21T12:00:00Z"

    static func minutes(_ count: Int64, from moment: Timestamp = now) throws -> Timestamp {
        try Timestamp(microsecondsSinceEpoch: moment.microsecondsSinceEpoch + count * 60_000_000)
    }

    /// An active campaign with one untouched subcampaign, as stored state: flights the domain
    /// now refuses can still be in the log.
    static func campaign(budgetMinor: Int64, flight: Flight, spentMinor: Int64 = 0) -> ScoringCampaign {
        ScoringCampaign(
            campaignID: "0", status: .active, flight: flight, budget: Money(amountMinor: budgetMinor, currency: "EUR"),
            spentMinor: spentMinor,
            subcampaigns: [ScoringSubcampaign(
                id: "sub-1", status: .active, track: "trk-42", markets: ["SE"], surfaces: ["home"], maximumShareBasisPoints: nil,
                spentMinor: 0
            )]
        )
    }

    static func score(_ campaign: ScoringCampaign, at moment: Timestamp) throws -> Int {
        try #require(campaign.scores(at: moment).first).scoreMicros
    }

    @Test func theIssuesOneEuroFlightFromYearOneDoesNotScoreNearOne() throws {
        let attack = Self.campaign(budgetMinor: 100, flight: Flight(start: "0001-01-01T00:00:00Z", end: try Self.minutes(2)))
        let score = try Self.score(attack, at: Self.now)
        #expect(score == ScoringCampaign.maximumScoreMicros)
        #expect(score <= 750_000)
    }

    @Test func aFlightShorterThanAnHourNeverScoresAbovePace() throws {
        let short = Self.campaign(budgetMinor: 100, flight: Flight(start: Self.now, end: try Self.minutes(2)))
        for second in stride(from: Int64(0), to: 120, by: 7) {
            let moment = try Timestamp(microsecondsSinceEpoch: Self.now.microsecondsSinceEpoch + second * 1_000_000)
            #expect(try Self.score(short, at: moment) <= 500_000, "\(second) s into a two-minute flight")
        }
        let last = try Timestamp(microsecondsSinceEpoch: try Self.minutes(2).microsecondsSinceEpoch - 1)
        #expect(try Self.score(short, at: last) <= 500_000)
    }

    @Test func theLastHourOfALongFlightIsJudgedAsAnHour() throws {
        // A day-long flight with half its budget left: 30 minutes or 1 minute before the end,
        // the need is (1/2) / (1 h / 24 h) = 12, capped at 3.
        let day = Self.campaign(
            budgetMinor: 1_000_000, flight: Flight(start: Self.now, end: try Self.minutes(24 * 60)), spentMinor: 500_000
        )
        #expect(try Self.score(day, at: try Self.minutes(24 * 60 - 30)) == 750_000)
        #expect(try Self.score(day, at: try Self.minutes(24 * 60 - 1)) == 750_000)
        // Before the last hour the formula is the one it always was: at 12 h, u = 0.5 / 0.5.
        #expect(try Self.score(day, at: try Self.minutes(12 * 60)) == 500_000)
    }

    @Test func behindPaceSaturatesAtThreeTimes() throws {
        let month = Self.campaign(budgetMinor: 1_000_000, flight: Flight(start: Self.now, end: try Self.minutes(30 * 24 * 60)))
        // Nothing spent with 2/3 of the flight left: u = 1.5 → 0.6; with 1/4 left: u = 4 → capped.
        #expect(try Self.score(month, at: try Self.minutes(10 * 24 * 60)) == 600_000)
        #expect(try Self.score(month, at: try Self.minutes(Int64(22.5 * 24 * 60))) == 750_000)
    }
}

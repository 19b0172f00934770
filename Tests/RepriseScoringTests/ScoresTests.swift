import RepriseDomain
import RepriseScoring
import RepriseTestSupport
import Testing

/// `scores(at:)`: each eligibility clause on its own, and the formula at points worked out by hand.
@Suite struct EligibilityTests {
    static let cmp = ScoringFixture.campaignID
    let midFlight: Timestamp = "2026-11-25T00:00:00Z"

    @Test func anActiveTrackPromotionScoresInEveryMarketAndSurfaceItTargets() throws {
        let scores = try ScoredStream.active().scores(at: midFlight)
        #expect(scores.map { "\($0.market)/\($0.surface)/\($0.track)" } == [
            "NO/home/trk-42", "NO/now-playing/trk-42", "SE/home/trk-42", "SE/now-playing/trk-42",
        ])
        #expect(scores.allSatisfy { $0.campaignID == Self.cmp && $0.subcampaignID == "sub-1" })
        #expect(scores == scores.sorted())
    }

    @Test func aCampaignThatIsNotActiveHasNoScores() throws {
        var stream = ScoredStream()
        try stream.run(.create(CreateCampaign(
            campaignID: Self.cmp, ownerID: "label-7", name: "Draft", objective: .reach,
            budget: ScoringFixture.euros(ScoringFixture.budget), flight: ScoringFixture.flight, pacingMode: .even
        )))
        try stream.run(.addSubcampaign(AddSubcampaign(campaignID: Self.cmp, subcampaign: ScoringFixture.subcampaign())))
        #expect(try stream.scores(at: midFlight).isEmpty, "draft")

        try stream.run(.activate(Self.cmp))
        #expect(try stream.scores(at: midFlight).count == 4, "active")
        try stream.run(.pause(Self.cmp))
        #expect(try stream.scores(at: midFlight).isEmpty, "paused")
        try stream.run(.resume(Self.cmp))
        #expect(try stream.scores(at: midFlight).count == 4, "resumed")
        try stream.run(.cancel(Self.cmp))
        #expect(try stream.scores(at: midFlight).isEmpty, "cancelled")
    }

    @Test func anEndedCampaignHasNoScoresEvenInsideAMovedFlight() throws {
        var stream = try ScoredStream.active()
        stream.now = ScoringFixture.flight.end
        try stream.run(.end(Self.cmp))
        // The status clause alone: a state whose flight still covers `midFlight`.
        var ended = try #require(stream.scoring)
        #expect(ended.status == .ended)
        #expect(ended.scores(at: midFlight).isEmpty)
        ended.status = .active
        #expect(ended.scores(at: midFlight).count == 4)
    }

    @Test func aPausedOrRemovedSubcampaignDisappearsAndTheOthersStay() throws {
        var stream = try ScoredStream.active([
            ScoringFixture.subcampaign("sub-1"),
            ScoringFixture.subcampaign("sub-2", targeting: Targeting(markets: ["DE"], surfaces: ["search"], segments: ["casual"]), promoting: .track("trk-7")),
        ])
        #expect(try stream.scores(at: midFlight).map(\.subcampaignID).filter { $0 == "sub-2" }.count == 1)
        try stream.run(.pauseSubcampaign(Self.cmp, "sub-2"))
        #expect(try stream.scores(at: midFlight).allSatisfy { $0.subcampaignID == "sub-1" })
        #expect(try stream.scores(at: midFlight).count == 4)
        try stream.run(.resumeSubcampaign(Self.cmp, "sub-2"))
        #expect(try stream.scores(at: midFlight).count == 5)
        try stream.run(.removeSubcampaign(Self.cmp, "sub-1"))
        let left = try stream.scores(at: midFlight)
        #expect(left.map { "\($0.market)/\($0.surface)/\($0.track)/\($0.subcampaignID)" } == ["DE/search/trk-7/sub-2"])
    }

    @Test func onlyInsideTheFlightFromStartInclusiveToEndExclusive() throws {
        let stream = try ScoredStream.active()
        let start = ScoringFixture.flight.start.microsecondsSinceEpoch
        let end = ScoringFixture.flight.end.microsecondsSinceEpoch
        #expect(try stream.scores(at: Timestamp(microsecondsSinceEpoch: start - 1)).isEmpty)
        #expect(try stream.scores(at: Timestamp(microsecondsSinceEpoch: start)).count == 4)
        #expect(try stream.scores(at: Timestamp(microsecondsSinceEpoch: end - 1)).count == 4)
        #expect(try stream.scores(at: Timestamp(microsecondsSinceEpoch: end)).isEmpty)
    }

    @Test func aSpentBudgetHasNoScoresUntilTheBudgetIsRaised() throws {
        var stream = try ScoredStream.active()
        try stream.deliver(ScoringFixture.budget - 1)
        #expect(try stream.scores(at: midFlight).count == 4)
        try stream.deliver(1)
        #expect(try stream.scores(at: midFlight).isEmpty, "spent == budget")
        try stream.deliver(500)
        #expect(try stream.scores(at: midFlight).isEmpty, "spent past the budget")
        try stream.run(.changeBudget(ChangeBudget(campaignID: Self.cmp, budget: ScoringFixture.euros(2_000_000))))
        #expect(try stream.scores(at: midFlight).count == 4)
    }

    @Test func theMaximumShareCapsASubcampaignAtItsShareOfTheBudget() throws {
        let capped = ScoringFixture.subcampaign("sub-1", bounds: ShareBounds(maximumBasisPoints: 5_000))  // 500 000 of 1 000 000
        let free = ScoringFixture.subcampaign("sub-2", promoting: .track("trk-7"))
        var stream = try ScoredStream.active([capped, free])
        try stream.deliver(499_999, by: "sub-1")
        #expect(try Set(stream.scores(at: midFlight).map(\.subcampaignID)) == ["sub-1", "sub-2"])
        try stream.deliver(1, by: "sub-1")  // now exactly at its cap
        #expect(try Set(stream.scores(at: midFlight).map(\.subcampaignID)) == ["sub-2"])

        // Raising the cap or the budget lets it back in.
        try stream.run(.changeBudgetBounds(ChangeBudgetBounds(
            campaignID: Self.cmp, subcampaignID: "sub-1", shareBounds: ShareBounds(maximumBasisPoints: 5_001)
        )))
        #expect(try Set(stream.scores(at: midFlight).map(\.subcampaignID)) == ["sub-1", "sub-2"])
        try stream.run(.changeBudgetBounds(ChangeBudgetBounds(
            campaignID: Self.cmp, subcampaignID: "sub-1", shareBounds: ShareBounds(maximumBasisPoints: 5_000)
        )))
        try stream.run(.changeBudget(ChangeBudget(campaignID: Self.cmp, budget: ScoringFixture.euros(1_000_002))))
        #expect(try Set(stream.scores(at: midFlight).map(\.subcampaignID)) == ["sub-1", "sub-2"])
    }

    @Test func aZeroMaximumShareNeverScoresAndNoCapAlwaysMayScore() throws {
        let stream = try ScoredStream.active([
            ScoringFixture.subcampaign("sub-0", bounds: ShareBounds(maximumBasisPoints: 0)),
            ScoringFixture.subcampaign("sub-1", bounds: ShareBounds(minimumBasisPoints: 1_000)),
        ])
        #expect(try Set(stream.scores(at: midFlight).map(\.subcampaignID)) == ["sub-1"])
    }

    @Test func aCapOnAHugeBudgetIsComparedExactly() throws {
        // budget × maxShare overflows 64 bits here; the comparison must still be exact.
        var state = try #require(ScoredStream.active([
            ScoringFixture.subcampaign("sub-1", bounds: ShareBounds(maximumBasisPoints: 3_333)),
        ]).scoring)
        state.budget.amountMinor = .max
        let cap = Int64((Int128(Int64.max) * 3_333 + 9_999) / 10_000)  // the smallest spend at or over the cap
        state.subcampaigns[0].spentMinor = cap - 1
        #expect(state.scores(at: midFlight).count == 4)
        state.subcampaigns[0].spentMinor = cap
        #expect(state.scores(at: midFlight).isEmpty)
    }

    @Test func creativesNeverScore() throws {
        var stream = try ScoredStream.active([
            ScoringFixture.subcampaign("sub-1", promoting: .creative("crv-1")),
            ScoringFixture.subcampaign("sub-2", promoting: .creative("crv-2")),
        ])
        #expect(try stream.scores(at: midFlight).isEmpty)
        try stream.run(.addSubcampaign(AddSubcampaign(campaignID: Self.cmp, subcampaign: ScoringFixture.subcampaign("sub-3"))))
        #expect(try stream.scores(at: midFlight).allSatisfy { $0.subcampaignID == "sub-3" })
        #expect(try stream.scores(at: midFlight).count == 4)
    }

    @Test func aTargetingChangeMovesTheEntries() throws {
        var stream = try ScoredStream.active()
        try stream.run(.changeTargeting(ChangeTargeting(
            campaignID: Self.cmp, subcampaignID: "sub-1",
            targeting: Targeting(markets: ["FI", "DK", "SE"], surfaces: ["radio-autoplay"], segments: ["casual"])
        )))
        #expect(try stream.scores(at: midFlight).map { "\($0.market)/\($0.surface)" } == [
            "DK/radio-autoplay", "FI/radio-autoplay", "SE/radio-autoplay",
        ])
    }

    @Test func aFlightChangeMovesTheWindow() throws {
        var stream = try ScoredStream.active()
        try stream.run(.changeFlight(ChangeFlight(
            campaignID: Self.cmp, flight: Flight(start: "2026-12-01T00:00:00Z", end: "2026-12-31T00:00:00Z")
        )))
        #expect(try stream.scores(at: midFlight).isEmpty)
        #expect(try stream.scores(at: "2026-12-01T00:00:00Z").first?.scoreMicros == 500_000)
    }
}

/// The formula, R·D / (R·D + F·B) in millionths, at points worked out by hand.
@Suite struct FormulaTests {
    /// The score of the fixture campaign with `spent` of its 1 000 000 spent, `fraction` into its flight.
    static func score(spent: Int64, at fraction: Double) throws -> Int? {
        var stream = try ScoredStream.active()
        if spent > 0 { try stream.deliver(spent) }
        let scores = try stream.scores(at: ScoringFixture.intoFlight(fraction))
        #expect(Set(scores.map(\.scoreMicros)).count <= 1, "one campaign, one score")
        return scores.first?.scoreMicros
    }

    @Test func startOfFlightWithTheWholeBudgetIsOnPace() throws {
        #expect(try Self.score(spent: 0, at: 0) == 500_000)
    }

    @Test func halfTheBudgetAtHalfTheFlightIsOnPace() throws {
        #expect(try Self.score(spent: 500_000, at: 0.5) == 500_000)
    }

    @Test func threeQuartersLeftAtHalfTheFlightIsBehind() throws {
        // u = 0.75 / 0.5 = 1.5, and 1.5 / 2.5 = 0.6.
        #expect(try Self.score(spent: 250_000, at: 0.5) == 600_000)
    }

    @Test func aQuarterLeftWithThreeQuartersOfTheFlightLeftIsAhead() throws {
        // u = 0.25 / 0.75 = 1/3, and (1/3) / (4/3) = 0.25.
        #expect(try Self.score(spent: 750_000, at: 0.25) == 250_000)
    }

    @Test func aNearlySpentBudgetScoresNearZero() throws {
        // R = 1 of 1 000 000 at half the flight: u = 2e-6, u / (1 + u) = 1.999996e-6 → 2 millionths.
        #expect(try Self.score(spent: 999_999, at: 0.5) == 2)
    }

    @Test func theWholeBudgetLeftAtTheLastMicrosecondScoresTheCapNotOne() throws {
        let stream = try ScoredStream.active()
        let last = try Timestamp(microsecondsSinceEpoch: ScoringFixture.flight.end.microsecondsSinceEpoch - 1)
        #expect(try stream.scores(at: last).first?.scoreMicros == 750_000)
    }

    @Test func withNothingDeliveredTheScoreRisesAsTheFlightPassesAndStaysInRange() throws {
        let stream = try ScoredStream.active()
        var previous = 0
        for step in 0..<100 {
            let micros = try #require(stream.scores(at: ScoringFixture.intoFlight(Double(step) / 100)).first?.scoreMicros)
            #expect((0...750_000).contains(micros))
            #expect(micros >= previous, "nothing delivered: the campaign only falls further behind")
            previous = micros
        }
    }

    @Test func theFormulaMatchesNeedOverOnePlusNeed() throws {
        // u / (1 + u) and R·D / (R·D + F·B) are the same number; check on an uneven point.
        let stream = try ScoredStream.active()
        var spent = stream
        try spent.deliver(123_457)
        let now: Timestamp = "2026-11-17T13:14:15.161718Z"
        let r = Double(ScoringFixture.budget - 123_457), b = Double(ScoringFixture.budget)
        let f = Double(ScoringFixture.flight.end.microsecondsSinceEpoch - now.microsecondsSinceEpoch)
        let d = Double(ScoringFixture.flight.end.microsecondsSinceEpoch - ScoringFixture.flight.start.microsecondsSinceEpoch)
        let u = (r / b) / (f / d)
        let expected = Int((u / (1 + u) * 1_000_000).rounded())
        #expect(try spent.scores(at: now).first?.scoreMicros == expected)
    }
}

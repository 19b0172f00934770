import RepriseDomain
import Testing

/// One test per invariant the issue names, each named after it.
@Suite struct InvariantTests {
    let id = Fixture.campaignID

    @Test func flightEndMustBeAfterStart() throws {
        let empty = Flight(start: "2026-11-10T00:00:00Z", end: "2026-11-10T00:00:00Z")
        let backwards = Flight(start: "2026-11-10T00:00:00Z", end: "2026-11-09T00:00:00Z")
        for flight in [empty, backwards] {
            expectRejection(.flightEndNotAfterStart, field: "flight.end") {
                try Scenario().decide(.create(Fixture.create(flight: flight)))
            }
            expectRejection(.flightEndNotAfterStart, field: "flight.end") {
                try Scenario.draft().decide(.changeFlight(ChangeFlight(campaignID: id, flight: flight)))
            }
        }
        let oneMicrosecond = Flight(start: "2026-11-10T00:00:00.000000Z", end: "2026-11-10T00:00:00.000001Z")
        #expect(try Scenario().decide(.create(Fixture.create(flight: oneMicrosecond))).count == 1)
    }

    @Test func budgetMustBePositive() throws {
        for amount: Int64 in [0, -1, .min] {
            expectRejection(.budgetNotPositive, field: "budget.amountMinor") {
                try Scenario().decide(.create(Fixture.create(budget: Fixture.euros(amount))))
            }
            expectRejection(.budgetNotPositive, field: "budget.amountMinor") {
                try Scenario.draft().decide(.changeBudget(ChangeBudget(campaignID: id, budget: Fixture.euros(amount))))
            }
        }
    }

    @Test func budgetNeverBelowSpent() throws {
        var scenario = try Scenario.active()
        try scenario.run(.reportDelivery(ReportDelivery(campaignID: id, report: Fixture.report(spend: Fixture.euros(400_000)))))
        try scenario.run(.reportDelivery(ReportDelivery(
            campaignID: id, report: Fixture.report("rep-2", spend: Fixture.euros(100_000))
        )))
        #expect(try scenario.campaign.spent == Fixture.euros(500_000))

        let error = expectRejection(.budgetBelowSpent, field: "budget.amountMinor") {
            try scenario.decide(.changeBudget(ChangeBudget(campaignID: id, budget: Fixture.euros(499_999))))
        }
        #expect(error?.message.contains("500000") == true)
        let atSpent = try scenario.decide(.changeBudget(ChangeBudget(campaignID: id, budget: Fixture.euros(500_000))))
        #expect(atSpent == [.campaignBudgetChanged(CampaignBudgetChanged(campaignID: id, budget: Fixture.euros(500_000)))])
    }

    @Test func minimumSharesMustFitInBudget() throws {
        var scenario = try Scenario.draft()
        let sixty = ShareBounds(minimumBasisPoints: 6_000)
        try scenario.run(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: Fixture.subcampaign("sub-2", bounds: sixty))))

        // 6000 + 4001 does not fit; 6000 + 4000 does.
        let tooMuch = Fixture.subcampaign("sub-3", bounds: ShareBounds(minimumBasisPoints: 4_001))
        expectRejection(.minimumSharesExceedBudget, field: "shareBounds.minimumBasisPoints") {
            try scenario.decide(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: tooMuch)))
        }
        expectRejection(.minimumSharesExceedBudget, field: "shareBounds.minimumBasisPoints") {
            try scenario.decide(.changeBudgetBounds(ChangeBudgetBounds(
                campaignID: id, subcampaignID: "sub-1", shareBounds: ShareBounds(minimumBasisPoints: 4_001)
            )))
        }
        try scenario.run(.changeBudgetBounds(ChangeBudgetBounds(
            campaignID: id, subcampaignID: "sub-1", shareBounds: ShareBounds(minimumBasisPoints: 4_000)
        )))
        #expect(try scenario.campaign.reservedShareBasisPoints == 10_000)

        // A subcampaign may raise its own minimum within what the others leave free.
        try scenario.run(.changeBudgetBounds(ChangeBudgetBounds(
            campaignID: id, subcampaignID: "sub-2", shareBounds: ShareBounds(minimumBasisPoints: 6_000, maximumBasisPoints: 8_000)
        )))
        // Shares are relative, so a budget change cannot break them.
        try scenario.run(.changeBudget(ChangeBudget(campaignID: id, budget: Fixture.euros(1))))
        // A removed subcampaign frees its share.
        try scenario.run(.removeSubcampaign(id, "sub-2"))
        #expect(try scenario.campaign.reservedShareBasisPoints == 4_000)
        try scenario.run(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: Fixture.subcampaign("sub-3", bounds: sixty))))
    }

    @Test func closedCampaignAcceptsNoChanges() throws {
        // The exhaustive version, every command against both closed states, is ClosedCampaignTests.
        var scenario = try Scenario.active()
        try scenario.run(.cancel(id))
        expectRejection(.campaignClosed) {
            try scenario.decide(.changeBudget(ChangeBudget(campaignID: id, budget: Fixture.euros(2_000_000))))
        }
    }

    @Test func priceMustBePositive() throws {
        let scenario = try Scenario.draft()
        for pricing in [Pricing.cpm(0), .cpc(0), .cpm(-450), .cpc(.min)] {
            expectRejection(.priceNotPositive, field: "pricing.amountMinor") {
                try scenario.decide(.addSubcampaign(AddSubcampaign(
                    campaignID: id, subcampaign: Fixture.subcampaign("sub-2", pricing: pricing)
                )))
            }
            expectRejection(.priceNotPositive, field: "pricing.amountMinor") {
                try scenario.decide(.changePrice(ChangePrice(campaignID: id, subcampaignID: "sub-1", pricing: pricing)))
            }
        }
        #expect(try scenario.decide(.changePrice(ChangePrice(campaignID: id, subcampaignID: "sub-1", pricing: .cpc(1)))).count == 1)
    }

    @Test func currencyNeverChanges() throws {
        let scenario = try Scenario.active()
        let error = expectRejection(.currencyMismatch, field: "budget.currency") {
            try scenario.decide(.changeBudget(ChangeBudget(
                campaignID: id, budget: Money(amountMinor: 2_000_000, currency: "USD")
            )))
        }
        #expect(error?.message.contains("USD") == true)
        #expect(try scenario.campaign.budget.currency == "EUR")
    }

    @Test func unknownMarketsAreRejected() throws {
        let targeting = Targeting(markets: ["SE", "XX"], surfaces: ["home"], segments: ["casual"])
        let error = expectRejection(.unknownMarket, field: "targeting.markets[1]") {
            try Scenario.draft().decide(.addSubcampaign(AddSubcampaign(
                campaignID: id, subcampaign: Fixture.subcampaign("sub-2", targeting: targeting)
            )))
        }
        #expect(error?.message.contains("\"XX\"") == true)
        // Lowercase is not a code either: codes are matched exactly.
        expectRejection(.unknownMarket, field: "targeting.markets[0]") {
            try Scenario.draft().decide(.changeTargeting(ChangeTargeting(
                campaignID: id, subcampaignID: "sub-1",
                targeting: Targeting(markets: ["se"], surfaces: ["home"], segments: ["casual"])
            )))
        }
    }

    @Test func unknownSurfacesAreRejected() throws {
        let targeting = Targeting(markets: ["SE"], surfaces: ["home", "search", "billboard"], segments: ["casual"])
        let error = expectRejection(.unknownSurface, field: "targeting.surfaces[2]") {
            try Scenario.draft().decide(.changeTargeting(ChangeTargeting(campaignID: id, subcampaignID: "sub-1", targeting: targeting)))
        }
        #expect(error?.message.contains("\"billboard\"") == true)
    }

    @Test func unknownSegmentsAreRejected() throws {
        let targeting = Targeting(markets: ["SE"], surfaces: ["home"], segments: ["everyone"])
        let error = expectRejection(.unknownSegment, field: "targeting.segments[0]") {
            try Scenario.draft().decide(.addSubcampaign(AddSubcampaign(
                campaignID: id, subcampaign: Fixture.subcampaign("sub-2", targeting: targeting)
            )))
        }
        #expect(error?.message.contains("\"everyone\"") == true)
    }
}

import RepriseDomain
import Testing

/// Bulk buys: every campaign booked, or none, with every failing item named.
@Suite struct BulkBuyTests {
    let context = Fixture.context(actor: "label-7")

    func item(_ id: CampaignID, subcampaigns: [NewSubcampaign] = [Fixture.subcampaign()], activate: Bool = false)
        -> CreateCampaignWithSubcampaigns
    {
        CreateCampaignWithSubcampaigns(campaign: Fixture.create(id), subcampaigns: subcampaigns, activate: activate)
    }

    @Test func validBulkBuyBooksEveryCampaign() throws {
        let items = [
            item("cmp-a"),
            item("cmp-b", subcampaigns: [Fixture.subcampaign("s1"), Fixture.subcampaign("s2", pricing: .cpc(30))], activate: true),
        ]
        let booked = try BulkBuy.decide(items, existing: { _ in false }, context: context)
        #expect(booked.map(\.campaignID) == ["cmp-a", "cmp-b"])
        #expect(booked.map(\.streamID) == ["campaign-cmp-a", "campaign-cmp-b"])
        #expect(booked[0].events.map(\.type) == ["campaign.created", "subcampaign.added"])
        #expect(booked[1].events.map(\.type) == ["campaign.created", "subcampaign.added", "subcampaign.added", "campaign.activated"])
        #expect(Campaign.replay(booked[1].events)?.status == .active)
    }

    @Test func oneBadItemRejectsTheWholeBuyAndEveryFailureIsNamed() throws {
        var overBudget = Fixture.create("cmp-c")
        overBudget.budget = Fixture.euros(0)
        let items = [
            item("cmp-a"),
            item("cmp-b", subcampaigns: [Fixture.subcampaign("s1"), Fixture.subcampaign("s2", pricing: .cpm(0))]),
            CreateCampaignWithSubcampaigns(campaign: overBudget, subcampaigns: []),
            item("cmp-d", subcampaigns: [Fixture.subcampaign(targeting: Targeting(markets: ["SE"], surfaces: ["home"], segments: ["bots"]))]),
            item("cmp-e", subcampaigns: [], activate: true),
        ]
        let rejection = #expect(throws: BulkBuyRejection.self) {
            try BulkBuy.decide(items, existing: { _ in false }, context: context)
        }
        let failures = try #require(rejection).failures
        #expect(failures.map(\.index) == [1, 2, 3, 4])
        #expect(failures.map(\.error.code) == [.priceNotPositive, .budgetNotPositive, .unknownSegment, .noActiveSubcampaign])
        #expect(failures.map(\.error.field) == [
            "items[1].subcampaigns[1].pricing.amountMinor",
            "items[2].budget.amountMinor",
            "items[3].subcampaigns[0].targeting.segments[0]",
            "items[4].activate",
        ])
    }

    @Test func campaignsThatAlreadyExistAreRejected() throws {
        let rejection = #expect(throws: BulkBuyRejection.self) {
            try BulkBuy.decide([item("cmp-a"), item("cmp-old")], existing: { $0 == "cmp-old" }, context: context)
        }
        #expect(rejection?.failures == [.init(index: 1, error: DomainError(
            .campaignAlreadyExists, field: "items[1].campaignId", "campaign cmp-old already exists"
        ))])
    }

    @Test func duplicateCampaignIDsInOneBuyAreRejected() throws {
        let rejection = #expect(throws: BulkBuyRejection.self) {
            try BulkBuy.decide([item("cmp-a"), item("cmp-b"), item("cmp-a"), item("cmp-a")], existing: { _ in false }, context: context)
        }
        #expect(rejection?.failures.map(\.index) == [2, 3])
        #expect(rejection?.failures.allSatisfy { $0.error.code == .duplicateCampaignInBulkBuy } == true)
        #expect(rejection?.failures.first?.error.field == "items[2].campaignId")
        #expect(rejection?.failures.first?.error.message.contains("items[0]") == true)
    }

    @Test func bulkBuyDecidesExactlyAsSeparateCommandsWould() throws {
        let bulk = try BulkBuy.decide([item("cmp-1", activate: true)], existing: { _ in false }, context: context)
        var scenario = Scenario()
        try scenario.run(.create(Fixture.create()))
        try scenario.run(.addSubcampaign(AddSubcampaign(campaignID: "cmp-1", subcampaign: Fixture.subcampaign())))
        try scenario.run(.activate("cmp-1"))
        #expect(bulk.first?.events == scenario.events)
    }

    @Test func anEmptyBulkBuyBooksNothing() throws {
        #expect(try BulkBuy.decide([], existing: { _ in false }, context: context).isEmpty)
    }
}

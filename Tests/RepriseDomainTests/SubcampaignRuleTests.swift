import RepriseDomain
import Testing

/// The subcampaign rules: ids, targeting shape, bounds, status transitions.
@Suite struct SubcampaignRuleTests {
    let id = Fixture.campaignID

    @Test func duplicateSubcampaignIDIsRejected() throws {
        var scenario = try Scenario.draft()
        expectRejection(.subcampaignAlreadyExists, field: "id") {
            try scenario.decide(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: Fixture.subcampaign("sub-1"))))
        }
        // Removed ids stay taken: delivery history under that id must stay unambiguous.
        try scenario.run(.removeSubcampaign(id, "sub-1"))
        let error = expectRejection(.subcampaignAlreadyExists, field: "id") {
            try scenario.decide(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: Fixture.subcampaign("sub-1"))))
        }
        #expect(error?.message.contains("never reused") == true)
    }

    @Test func unknownOrRemovedSubcampaignIsNotFound() throws {
        var scenario = try Scenario.active()
        try scenario.run(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: Fixture.subcampaign("sub-2"))))
        try scenario.run(.removeSubcampaign(id, "sub-2"))
        for missing: SubcampaignID in ["sub-9", "sub-2"] {
            let commands: [CampaignCommand] = [
                .changeTargeting(ChangeTargeting(campaignID: id, subcampaignID: missing, targeting: Fixture.targeting)),
                .changePrice(ChangePrice(campaignID: id, subcampaignID: missing, pricing: .cpm(5))),
                .changeBudgetBounds(ChangeBudgetBounds(campaignID: id, subcampaignID: missing, shareBounds: .unbounded)),
                .pauseSubcampaign(id, missing), .resumeSubcampaign(id, missing), .removeSubcampaign(id, missing),
                .reportDelivery(ReportDelivery(campaignID: id, report: Fixture.report(subcampaign: missing))),
            ]
            for command in commands {
                expectRejection(.subcampaignNotFound, field: "subcampaignId") { try scenario.decide(command) }
            }
        }
    }

    @Test func targetingListsMustBeNonEmptyAndDistinct() throws {
        let scenario = try Scenario.draft()
        func change(_ targeting: Targeting) throws(DomainError) -> [CampaignEvent] {
            try scenario.decide(.changeTargeting(ChangeTargeting(campaignID: id, subcampaignID: "sub-1", targeting: targeting)))
        }
        expectRejection(.targetingEmpty, field: "targeting.markets") {
            try change(Targeting(markets: [], surfaces: ["home"], segments: ["casual"]))
        }
        expectRejection(.targetingEmpty, field: "targeting.surfaces") {
            try change(Targeting(markets: ["SE"], surfaces: [], segments: ["casual"]))
        }
        expectRejection(.targetingEmpty, field: "targeting.segments") {
            try change(Targeting(markets: ["SE"], surfaces: ["home"], segments: []))
        }
        expectRejection(.duplicateValue, field: "targeting.markets[2]") {
            try change(Targeting(markets: ["SE", "NO", "SE"], surfaces: ["home"], segments: ["casual"]))
        }
    }

    @Test func targetingIsStoredInCanonicalOrder() throws {
        var scenario = try Scenario.draft()
        let messy = Targeting(markets: ["US", "DE", "BR"], surfaces: ["search", "browse"], segments: ["lapsed", "genre-latin"])
        try scenario.run(.changeTargeting(ChangeTargeting(campaignID: id, subcampaignID: "sub-1", targeting: messy)))
        let stored = try #require(scenario.campaign.liveSubcampaign("sub-1")).targeting
        #expect(stored == Targeting(markets: ["BR", "DE", "US"], surfaces: ["browse", "search"], segments: ["genre-latin", "lapsed"]))
    }

    @Test func shareBoundsMustBeWithinTheBudgetAndOrdered() throws {
        let scenario = try Scenario.draft()
        let cases: [(ShareBounds, String)] = [
            (ShareBounds(minimumBasisPoints: -1), "shareBounds.minimumBasisPoints"),
            (ShareBounds(maximumBasisPoints: 10_001), "shareBounds.maximumBasisPoints"),
            (ShareBounds(minimumBasisPoints: 3_000, maximumBasisPoints: 2_999), "shareBounds.minimumBasisPoints"),
        ]
        for (bounds, field) in cases {
            expectRejection(.shareBoundsInvalid, field: field) {
                try scenario.decide(.changeBudgetBounds(ChangeBudgetBounds(campaignID: id, subcampaignID: "sub-1", shareBounds: bounds)))
            }
        }
        let exact = ShareBounds(minimumBasisPoints: 2_500, maximumBasisPoints: 2_500)
        #expect(try scenario.decide(.changeBudgetBounds(ChangeBudgetBounds(campaignID: id, subcampaignID: "sub-1", shareBounds: exact))).count == 1)
    }

    @Test func illegalSubcampaignTransitionsAreRejected() throws {
        var scenario = try Scenario.active()
        expectRejection(.invalidStatusTransition, field: "subcampaignId") { try scenario.decide(.resumeSubcampaign(id, "sub-1")) }
        try scenario.run(.pauseSubcampaign(id, "sub-1"))
        expectRejection(.invalidStatusTransition, field: "subcampaignId") { try scenario.decide(.pauseSubcampaign(id, "sub-1")) }
        // A paused subcampaign can still be changed and removed.
        try scenario.run(.changePrice(ChangePrice(campaignID: id, subcampaignID: "sub-1", pricing: .cpc(30))))
        try scenario.run(.removeSubcampaign(id, "sub-1"))
        #expect(try scenario.campaign.subcampaigns.map(\.status) == [.removed])
        #expect(try scenario.campaign.liveSubcampaigns.isEmpty)
    }
}

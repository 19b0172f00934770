import RepriseDomain
import Testing

extension Scenario {
    /// One campaign's whole life, through every command but `cancel`: booked, live, changed
    /// in every way, delivering, and ended when its flight is over.
    static func fullLifecycle() throws -> Scenario {
        let id = Fixture.campaignID
        var scenario = Scenario()
        try scenario.run(.create(Fixture.create()))
        try scenario.run(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: Fixture.subcampaign(
            "sub-1", bounds: ShareBounds(minimumBasisPoints: 2_000, maximumBasisPoints: 6_000)
        ))))
        try scenario.run(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: NewSubcampaign(
            id: "sub-2",
            targeting: Targeting(markets: ["DE", "AT", "CH"], surfaces: ["search", "browse"], segments: ["new-listeners", "genre-electronic"]),
            pricing: .cpc(40), promotedItem: .creative("crv-9")
        ))))
        try scenario.run(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: Fixture.subcampaign("sub-3"))))
        try scenario.run(.activate(id))

        scenario.now = "2026-11-10T02:00:00Z"
        try scenario.run(.reportDelivery(ReportDelivery(campaignID: id, report: Fixture.report("rep-1"))))
        try scenario.run(.reportDelivery(ReportDelivery(campaignID: id, report: Fixture.report(
            "rep-2", subcampaign: "sub-2", impressions: 2_000, reach: 1_500, clicks: 80, conversions: 4, spend: Fixture.euros(3_200)
        ))))
        try scenario.run(.changeBudget(ChangeBudget(campaignID: id, budget: Fixture.euros(1_500_000))))
        try scenario.run(.changeFlight(ChangeFlight(
            campaignID: id, flight: Flight(start: Fixture.flight.start, end: "2026-12-20T00:00:00Z")
        )))
        try scenario.run(.changeTargeting(ChangeTargeting(
            campaignID: id, subcampaignID: "sub-1",
            targeting: Targeting(markets: ["SE", "NO", "DK", "FI"], surfaces: ["home", "radio-autoplay"], segments: ["superfans", "engaged"])
        )))
        try scenario.run(.changePrice(ChangePrice(campaignID: id, subcampaignID: "sub-2", pricing: .cpc(35))))
        try scenario.run(.changeBudgetBounds(ChangeBudgetBounds(
            campaignID: id, subcampaignID: "sub-2", shareBounds: ShareBounds(minimumBasisPoints: 1_000)
        )))
        try scenario.run(.pauseSubcampaign(id, "sub-1"))
        try scenario.run(.resumeSubcampaign(id, "sub-1"))
        try scenario.run(.pause(id))
        try scenario.run(.resume(id))
        try scenario.run(.removeSubcampaign(id, "sub-3"))
        try scenario.run(.reportDelivery(ReportDelivery(campaignID: id, report: Fixture.report(
            "rep-3", from: "2026-11-11T00:00:00Z", to: "2026-11-11T01:00:00Z"
        ))))
        try scenario.run(.reportDelivery(ReportDelivery(campaignID: id, report: Fixture.report("rep-1"))))  // a retry

        scenario.now = "2026-12-20T00:00:05Z"
        try scenario.run(.end(id))
        return scenario
    }

    /// A second campaign, booked and then cancelled: the one fact the full lifecycle lacks.
    static func cancelled() throws -> Scenario {
        var scenario = Scenario()
        try scenario.run(.create(Fixture.create("cmp-2")))
        try scenario.run(.cancel("cmp-2"))
        return scenario
    }

    /// Between them, every event type the domain can emit.
    static func everyEventType() throws -> [CampaignEvent] {
        try fullLifecycle().events + cancelled().events
    }
}

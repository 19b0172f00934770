import RepriseDomain
import Testing

/// The campaign-level rules beyond the named invariants: existence, status transitions,
/// flight timing, and the shape of a new campaign.
@Suite struct CampaignRuleTests {
    let id = Fixture.campaignID

    @Test func createTwiceIsAlreadyExists() throws {
        expectRejection(.campaignAlreadyExists, field: "campaignId") {
            try Scenario.draft().decide(.create(Fixture.create()))
        }
    }

    @Test func commandOnMissingCampaignIsNotFound() throws {
        let commands: [CampaignCommand] = [
            .activate(id), .pause(id), .cancel(id), .end(id),
            .changeBudget(ChangeBudget(campaignID: id, budget: Fixture.euros(5))),
            .reportDelivery(ReportDelivery(campaignID: id, report: Fixture.report())),
        ]
        for command in commands {
            expectRejection(.campaignNotFound) { try Scenario().decide(command) }
        }
    }

    @Test func commandForAnotherCampaignIsRejected() throws {
        expectRejection(.invalidValue, field: "campaignId") { try Scenario.draft().decide(.activate("cmp-2")) }
    }

    @Test func createStartsAsDraftWithEverythingGiven() throws {
        var scenario = Scenario()
        let events = try scenario.run(.create(Fixture.create()))
        #expect(events == [.campaignCreated(CampaignCreated(
            campaignID: id, ownerID: "label-7", name: "Autumn single", objective: .reach,
            budget: Fixture.euros(1_000_000), flight: Fixture.flight, pacingMode: .even
        ))])
        let campaign = try scenario.campaign
        #expect(campaign.status == .draft)
        #expect(campaign.version == 1)
        #expect(campaign.spent == Fixture.euros(0))
        #expect(campaign.subcampaigns.isEmpty)
    }

    @Test func nameMustBeReadable() throws {
        for name in ["", "   ", "tab\there", String(repeating: "a", count: 201)] {
            expectRejection(.invalidValue, field: "name") { try Scenario().decide(.create(Fixture.create(name: name))) }
        }
        #expect(try Scenario().decide(.create(Fixture.create(name: String(repeating: "å", count: 200)))).count == 1)
    }

    @Test func currencyMustBeKnown() throws {
        for code in ["XYZ", "eur", "EURO", "", "XAU"] {
            expectRejection(.unknownCurrency, field: "budget.currency") {
                try Scenario().decide(.create(Fixture.create(budget: Money(amountMinor: 100, currency: Currency(code)))))
            }
        }
        #expect(try Scenario().decide(.create(Fixture.create(budget: Money(amountMinor: 100, currency: "JPY")))).count == 1)
    }

    @Test func flightMustNotBeOverWhenBookedOrMoved() throws {
        let past = Flight(start: "2026-10-01T00:00:00Z", end: "2026-11-01T09:00:00Z")  // ends exactly at `now`
        expectRejection(.flightAlreadyOver, field: "flight.end") { try Scenario().decide(.create(Fixture.create(flight: past))) }
        expectRejection(.flightAlreadyOver, field: "flight.end") {
            try Scenario.draft().decide(.changeFlight(ChangeFlight(campaignID: id, flight: past)))
        }
        // A flight from now that has not ended is fine, however short; one that began long
        // before its booking is not (`BookingRuleTests`).
        let running = Flight(start: "2026-11-01T09:00:00Z", end: "2026-11-01T09:00:00.000001Z")
        #expect(try Scenario().decide(.create(Fixture.create(flight: running))).count == 1)
    }

    @Test func illegalStatusTransitionsAreRejected() throws {
        let draft = try Scenario.draft()
        expectRejection(.invalidStatusTransition) { try draft.decide(.pause(id)) }
        expectRejection(.invalidStatusTransition) { try draft.decide(.resume(id)) }

        var active = try Scenario.active()
        expectRejection(.invalidStatusTransition) { try active.decide(.activate(id)) }
        let error = expectRejection(.invalidStatusTransition) { try active.decide(.resume(id)) }
        #expect(error?.message.contains("it is active") == true)

        try active.run(.pause(id))
        expectRejection(.invalidStatusTransition) { try active.decide(.pause(id)) }
        expectRejection(.invalidStatusTransition) { try active.decide(.activate(id)) }
    }

    @Test func activationNeedsAnActiveSubcampaign() throws {
        var scenario = Scenario()
        try scenario.run(.create(Fixture.create()))
        expectRejection(.noActiveSubcampaign) { try scenario.decide(.activate(id)) }
        try scenario.run(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: Fixture.subcampaign())))
        try scenario.run(.pauseSubcampaign(id, "sub-1"))
        expectRejection(.noActiveSubcampaign) { try scenario.decide(.activate(id)) }
        try scenario.run(.resumeSubcampaign(id, "sub-1"))
        #expect(try scenario.run(.activate(id)) == [.campaignActivated(CampaignActivated(campaignID: id))])
    }

    @Test func activateAndResumeNeedTheFlightNotOver() throws {
        var draft = try Scenario.draft()
        draft.now = Fixture.afterFlight
        expectRejection(.flightAlreadyOver) { try draft.decide(.activate(id)) }

        var paused = try Scenario.active()
        try paused.run(.pause(id))
        paused.now = Fixture.afterFlight
        expectRejection(.flightAlreadyOver) { try paused.decide(.resume(id)) }
    }

    @Test func endNeedsTheFlightOver() throws {
        var scenario = try Scenario.active()
        scenario.now = "2026-12-09T23:59:59.999999Z"
        expectRejection(.flightNotOver) { try scenario.decide(.end(id)) }
        scenario.now = Fixture.afterFlight
        #expect(try scenario.run(.end(id)) == [.campaignEnded(CampaignEnded(campaignID: id, endedAt: Fixture.afterFlight))])
        #expect(try scenario.campaign.status == .ended)
        #expect(try scenario.campaign.endedAt == Fixture.afterFlight)
    }

    @Test func draftAndPausedCampaignsCanEndOrBeCancelled() throws {
        for start in [try Scenario.draft(), try Scenario.active()] {
            var paused = start
            if try paused.campaign.status == .active { try paused.run(.pause(id)) }
            #expect(try paused.decide(.cancel(id)) == [.campaignCancelled(CampaignCancelled(campaignID: id))])
            paused.now = Fixture.afterFlight
            #expect(try paused.decide(.end(id)).count == 1)
        }
    }

    @Test func unchangedValuesDecideToNoEvents() throws {
        let scenario = try Scenario.draft()
        #expect(try scenario.decide(.changeBudget(ChangeBudget(campaignID: id, budget: Fixture.euros(1_000_000)))) == [])
        #expect(try scenario.decide(.changeFlight(ChangeFlight(campaignID: id, flight: Fixture.flight))) == [])
        // Targeting is compared in canonical order, so a reordering is no change.
        let reordered = Targeting(markets: ["NO", "SE"], surfaces: ["now-playing", "home"], segments: ["superfans"])
        #expect(try scenario.decide(.changeTargeting(ChangeTargeting(campaignID: id, subcampaignID: "sub-1", targeting: reordered))) == [])
        #expect(try scenario.decide(.changePrice(ChangePrice(campaignID: id, subcampaignID: "sub-1", pricing: .cpm(450)))) == [])
        #expect(try scenario.decide(.changeBudgetBounds(ChangeBudgetBounds(campaignID: id, subcampaignID: "sub-1", shareBounds: .unbounded))) == [])
    }

    @Test func streamIDsNameTheCampaign() throws {
        #expect(Campaign.streamID(for: "cmp-1") == "campaign-cmp-1")
        #expect(Campaign.campaignID(fromStreamID: "campaign-cmp-1") == "cmp-1")
        #expect(Campaign.campaignID(fromStreamID: "report-cmp-1") == nil)
        #expect(Campaign.campaignID(fromStreamID: "campaign-") == nil)
    }
}

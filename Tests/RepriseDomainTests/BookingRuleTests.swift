import RepriseDomain
import Testing

/// Issue 11, items 5 and 6: flights start at booking, a promoted track belongs to the
/// campaign's owner, and the limits that keep one caller from flooding the scores.
@Suite struct BookingRuleTests {
    let id = Fixture.campaignID

    func seconds(_ offset: Int64, from moment: Timestamp = Fixture.now) throws -> Timestamp {
        try Timestamp(microsecondsSinceEpoch: moment.microsecondsSinceEpoch + offset * 1_000_000)
    }

    // MARK: Flight start

    @Test func theIssuesFlightFromYearOneIsRefused() throws {
        let flight = Flight(start: "0001-01-01T00:00:00Z", end: try seconds(120))
        expectRejection(.flightStartInPast, field: "flight.start") {
            try Scenario().decide(.create(Fixture.create(flight: flight)))
        }
    }

    @Test func aFlightMayStartWithinTheSlackBeforeTheCommandButNotEarlier() throws {
        let end = try seconds(86_400)
        let atSlack = Flight(start: try seconds(-300), end: end)
        #expect(try Scenario().decide(.create(Fixture.create(flight: atSlack))).count == 1)
        let beyond = Flight(start: try seconds(-301), end: end)
        expectRejection(.flightStartInPast, field: "flight.start") { try Scenario().decide(.create(Fixture.create(flight: beyond))) }
        // The slack is a setting: none at all refuses a start a second early.
        var strict = Scenario()
        strict.rules.flightStartSlackSeconds = 0
        expectRejection(.flightStartInPast) { try strict.decide(.create(Fixture.create(flight: Flight(start: try seconds(-1), end: end)))) }
        #expect(try strict.decide(.create(Fixture.create(flight: Flight(start: Fixture.now, end: end)))).count == 1)
    }

    @Test func aMovedStartIsJudgedButAStartedFlightKeepsItsStart() throws {
        var scenario = try Scenario.active()
        scenario.now = "2026-11-20T00:00:00Z"  // ten days into the flight
        let extended = Flight(start: Fixture.flight.start, end: "2026-12-20T00:00:00Z")
        #expect(try scenario.run(.changeFlight(ChangeFlight(campaignID: id, flight: extended))).count == 1)
        let backdated = Flight(start: "0001-01-01T00:00:00Z", end: "2026-12-20T00:00:00Z")
        expectRejection(.flightStartInPast, field: "flight.start") {
            try scenario.decide(.changeFlight(ChangeFlight(campaignID: id, flight: backdated)))
        }
        let later = Flight(start: "2026-11-21T00:00:00Z", end: "2026-12-20T00:00:00Z")
        #expect(try scenario.run(.changeFlight(ChangeFlight(campaignID: id, flight: later))).count == 1)
    }

    @Test func aFlightFromYearOneAlreadyInTheLogStillReplaysAndIsDecidedOn() throws {
        let old = CampaignCreated(
            campaignID: id, ownerID: "label-7", name: "Old", objective: .reach, budget: Fixture.euros(100),
            flight: Flight(start: "0001-01-01T00:00:00Z", end: "2026-12-10T00:00:00Z"), pacingMode: .even
        )
        let added = SubcampaignAdded(
            campaignID: id, subcampaignID: "sub-1", targeting: Fixture.targeting, pricing: .cpm(450), shareBounds: .unbounded,
            promotedItem: .track("trk-42")
        )
        let state = try #require(Campaign.replay([.campaignCreated(old), .subcampaignAdded(added)]))
        #expect(state.flight.start == "0001-01-01T00:00:00Z")
        let events = try Campaign.decide(.activate(id), state: state, context: Fixture.context())
        #expect(events == [.campaignActivated(CampaignActivated(campaignID: id))])
    }

    // MARK: Track catalog

    @Test func aTrackTheOwnerDoesNotHoldCannotBePromoted() throws {
        let scenario = try Scenario.draft()
        for track: TrackID in ["trk-unassigned", "trk-b"] {
            var subcampaign = Fixture.subcampaign("sub-2")
            subcampaign.promotedItem = .track(track)
            var context = Fixture.context()
            context.trackHolders["trk-b"] = "label-9"
            let error = expectRejection(.trackNotHeld, field: "promotedItem.id") {
                try Campaign.decide(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: subcampaign)), state: try scenario.campaign, context: context)
            }
            // The refusal names the caller's owner and never who does hold the track.
            #expect(error?.message.contains("label-9") == false)
        }
        var creative = Fixture.subcampaign("sub-3")
        creative.promotedItem = .creative("cre-1")
        #expect(try scenario.decide(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: creative))).count == 1)
    }

    @Test func aBulkBuyPromotingAnotherOwnersTrackIsRefusedWhole() throws {
        var foreign = Fixture.subcampaign("sub-2")
        foreign.promotedItem = .track("trk-b")
        var context = Fixture.context()
        context.trackHolders["trk-b"] = "label-9"
        let rejection = #expect(throws: BulkBuyRejection.self) {
            try BulkBuy.decide(
                [CreateCampaignWithSubcampaigns(campaign: Fixture.create(), subcampaigns: [Fixture.subcampaign(), foreign], activate: true)],
                existing: { _ in false }, context: context
            )
        }
        let failure = try #require(rejection?.failures.first)
        #expect(failure.error.code == .trackNotHeld)
        #expect(failure.error.field == "items[0].subcampaigns[1].promotedItem.id")
    }

    @Test func assigningATrackTwiceToItsHolderChangesNothing() {
        #expect(TrackAssigned.decide(assign: "trk-1", to: "label-7", holder: nil) == [TrackAssigned(trackID: "trk-1", ownerID: "label-7")])
        #expect(TrackAssigned.decide(assign: "trk-1", to: "label-7", holder: "label-7").isEmpty)
        #expect(TrackAssigned.decide(assign: "trk-1", to: "label-9", holder: "label-7") == [TrackAssigned(trackID: "trk-1", ownerID: "label-9")])
        let history = [TrackAssigned(trackID: "trk-1", ownerID: "label-7"), TrackAssigned(trackID: "trk-1", ownerID: "label-9")]
        #expect(TrackAssigned.holder(after: history) == "label-9")
        #expect(TrackAssigned.streamID(for: "trk-1") == "track-trk-1")
        #expect(TrackAssigned.trackID(fromStreamID: "track-trk-1") == "trk-1")
        #expect(TrackAssigned.trackID(fromStreamID: "campaign-trk-1") == nil)
    }

    // MARK: Limits

    @Test func subcampaignsPerCampaignAreLimitedRemovedOnesIncluded() throws {
        var scenario = Scenario()
        scenario.rules.maxSubcampaignsPerCampaign = 3
        try scenario.run(.create(Fixture.create()))
        for index in 1...3 {
            try scenario.run(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: Fixture.subcampaign(try SubcampaignID("sub-\(index)")))))
        }
        try scenario.run(.removeSubcampaign(id, "sub-3"))
        let error = expectRejection(.tooManySubcampaigns, field: "id") {
            try scenario.decide(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: Fixture.subcampaign("sub-4"))))
        }
        #expect(error?.message.contains("the limit is 3") == true)
    }

    @Test func theStandardLimitsAreTheDocumentedOnes() {
        #expect(BookingRules.standard == BookingRules(
            flightStartSlackSeconds: 300, maxSubcampaignsPerCampaign: 20, maxTargetingCellsPerSubcampaign: 150,
            maxOpenCampaignsPerOwner: 100
        ))
    }

    @Test func marketsTimesSurfacesPerSubcampaignAreLimited() throws {
        let markets = Catalog.markets.sorted().prefix(26)
        let allSurfaces = Catalog.surfaces.sorted()
        let wide = Targeting(markets: Array(markets), surfaces: allSurfaces, segments: ["superfans"])  // 156 cells
        let scenario = try Scenario.draft()
        let error = expectRejection(.targetingTooWide, field: "targeting.markets") {
            try scenario.decide(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: Fixture.subcampaign("sub-2", targeting: wide))))
        }
        #expect(error?.message.contains("the limit is 150") == true)
        expectRejection(.targetingTooWide, field: "targeting.markets") {
            try scenario.decide(.changeTargeting(ChangeTargeting(campaignID: id, subcampaignID: "sub-1", targeting: wide)))
        }
        let fits = Targeting(markets: Array(markets.prefix(25)), surfaces: allSurfaces, segments: ["superfans"])  // 150
        #expect(try scenario.decide(.changeTargeting(ChangeTargeting(campaignID: id, subcampaignID: "sub-1", targeting: fits))).count == 1)
    }

    @Test func openCampaignsPerOwnerAreLimitedAcrossABulkBuy() throws {
        var context = Fixture.context()
        context.openCampaigns = ["label-7": 100]
        expectRejection(.tooManyOpenCampaigns, field: "ownerId") {
            try Campaign.decide(.create(Fixture.create()), state: nil, context: context)
        }
        context.openCampaigns = ["label-7": 98]
        let items = ["cmp-a", "cmp-b", "cmp-c"].map {
            CreateCampaignWithSubcampaigns(campaign: Fixture.create(CampaignID(stringLiteral: $0)), subcampaigns: [])
        }
        let rejection = #expect(throws: BulkBuyRejection.self) {
            try BulkBuy.decide(items, existing: { _ in false }, context: context)
        }
        #expect(rejection?.failures.map(\.index) == [2])
        #expect(rejection?.failures.first?.error.code == .tooManyOpenCampaigns)
        // Without a count (a log generator) the limit is not checked.
        context.openCampaigns = nil
        #expect(try BulkBuy.decide(items, existing: { _ in false }, context: context).count == 3)
    }
}

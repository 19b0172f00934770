import RepriseDomain
import Testing

/// A whole campaign life, and the promise of event sourcing: the events alone rebuild the state.
@Suite struct CampaignLifecycleTests {
    @Test func fullLifecycle() throws {
        let scenario = try Scenario.fullLifecycle()
        let campaign = try scenario.campaign

        #expect(campaign.status == .ended)
        #expect(campaign.endedAt == "2026-12-20T00:00:05Z")
        #expect(campaign.budget == Fixture.euros(1_500_000))
        #expect(campaign.flight == Flight(start: "2026-11-10T00:00:00Z", end: "2026-12-20T00:00:00Z"))
        #expect(campaign.subcampaigns.map(\.id) == ["sub-1", "sub-2", "sub-3"])
        #expect(campaign.subcampaigns.map(\.status) == [.active, .active, .removed])
        #expect(campaign.liveSubcampaign("sub-1")?.targeting.markets == ["DK", "FI", "NO", "SE"])
        #expect(campaign.liveSubcampaign("sub-2")?.pricing == .cpc(35))
        #expect(campaign.liveSubcampaign("sub-2")?.shareBounds == ShareBounds(minimumBasisPoints: 1_000))
        #expect(campaign.reservedShareBasisPoints == 3_000)
        #expect(campaign.liveSubcampaign("sub-1")?.delivered.reports == 2)
        #expect(campaign.spent == Fixture.euros(4_500 + 3_200 + 4_500))
        #expect(Set(campaign.deliveryReportDigests.keys) == ["rep-1", "rep-2", "rep-3"])
        // 20 commands, but the retried rep-1 added nothing.
        #expect(scenario.events.count == 19)
        #expect(campaign.version == scenario.events.count)
        #expect(scenario.events.allSatisfy { $0.campaignID == Fixture.campaignID })
    }

    @Test func everyEventTypeIsExercised() throws {
        let types = Set(try Scenario.everyEventType().map(\.type))
        #expect(types == Set(CampaignEvent.payloadTypes.map { $0.eventType }))
    }

    @Test func replayRebuildsTheSameState() throws {
        // The command handler evolved its state command by command; a reader replays the
        // stored events from scratch. Both must arrive at the same campaign.
        let full = try Scenario.fullLifecycle()
        #expect(Campaign.replay(full.events) == full.state)
        #expect(full.events.reduce(nil, Campaign.evolve) == full.state)

        // And every prefix is a campaign as it stood at that version (what `--as-of` shows).
        for count in 1...full.events.count {
            #expect(Campaign.replay(full.events.prefix(count))?.version == count)
        }
        #expect(Campaign.replay(full.events.prefix(5))?.status == .active)
        #expect(Campaign.replay(full.events.prefix(4))?.status == .draft)
    }

    @Test func replayThroughTheCodecRebuildsTheSameState() throws {
        let full = try Scenario.fullLifecycle()
        let stored = full.events.map(EventCodec.encode)
        let read = try stored.map { try EventCodec.decode(type: $0.type, schemaVersion: $0.schemaVersion, data: $0.data) }
        #expect(Campaign.replay(read) == full.state)
    }

    @Test func eventsBeforeCreationAreIgnored() throws {
        let stray = CampaignEvent.campaignPaused(CampaignPaused(campaignID: Fixture.campaignID))
        #expect(Campaign.replay([stray]) == nil)
    }

    @Test func decisionsAreDeterministic() throws {
        let first = try Scenario.fullLifecycle()
        let second = try Scenario.fullLifecycle()
        #expect(first.events == second.events)
        #expect(first.events.map { EventCodec.encode($0).data } == second.events.map { EventCodec.encode($0).data })
    }
}

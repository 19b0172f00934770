import Foundation
import RepriseCampaigns
import RepriseDomain
import RepriseEventLog
import RepriseTestSupport
import Testing

/// A fixed count of open campaigns per owner, as the campaign list would give it.
private struct FixedCounts: OpenCampaignCounter {
    let counts: [OwnerID: Int]

    func openCampaigns(of owners: Set<OwnerID>) async throws(CommandError) -> [OwnerID: Int] {
        counts.filter { owners.contains($0.key) }
    }
}

@Suite("Booking rules in the command handler")
struct BookingRulesHandlerTests {
    @Test func theHandlerReadsTheTrackCatalogFromTheLog() async throws {
        try await Booking.withHandler { handler, store in
            try await handler.handle(.create(Booking.create("cmp-1")), envelope: Booking.envelope())
            var subcampaign = Booking.subcampaign()
            subcampaign.promotedItem = .track("trk-2")
            let add = CampaignCommand.addSubcampaign(AddSubcampaign(campaignID: "cmp-1", subcampaign: subcampaign))
            let error = await #expect(throws: CommandError.self) { try await handler.handle(add, envelope: Booking.envelope()) }
            #expect(error?.domainError?.code == .trackNotHeld)
            #expect(try await store.streamVersion("campaign-cmp-1") == 1)

            let holding = try await handler.tracks.assign("trk-2", to: "label-7", envelope: Booking.envelope())
            #expect(holding == TrackHolding(trackId: "trk-2", ownerId: "label-7", version: 1))
            #expect(try await store.streamVersion("track-trk-2") == 1)
            try await handler.handle(add, envelope: Booking.envelope())
            #expect(try await store.streamVersion("campaign-cmp-1") == 2)

            // Moving the track away stops new promotions of it, not the ones booked.
            try await handler.tracks.assign("trk-2", to: "label-9", envelope: Booking.envelope())
            #expect(try await handler.tracks.holding(of: "trk-2")?.ownerId == "label-9")
            var another = subcampaign
            another.id = "sub-2"
            let moved = await #expect(throws: CommandError.self) {
                try await handler.handle(.addSubcampaign(AddSubcampaign(campaignID: "cmp-1", subcampaign: another)), envelope: Booking.envelope())
            }
            #expect(moved?.domainError?.code == .trackNotHeld)
            #expect(try await handler.load("cmp-1").0?.liveSubcampaigns.map(\.id) == ["sub-1"])
        }
    }

    @Test func openCampaignsPerOwnerAreCountedThroughThePort() async throws {
        let store = InMemoryEventStore()
        let handler = CampaignCommandHandler(
            store: store, logger: Booking.logger, openCampaigns: FixedCounts(counts: ["label-7": 99])
        )
        try await handler.handle(.create(Booking.create("cmp-1")), envelope: Booking.envelope())
        // The port still says 99 (it lags the log), so one more is let in; at 100 it is refused.
        let full = CampaignCommandHandler(store: store, logger: Booking.logger, openCampaigns: FixedCounts(counts: ["label-7": 100]))
        let error = await #expect(throws: CommandError.self) {
            try await full.handle(.create(Booking.create("cmp-2")), envelope: Booking.envelope())
        }
        #expect(error?.domainError?.code == .tooManyOpenCampaigns)
        let bulk = await #expect(throws: CommandError.self) {
            try await handler.bulkBuy(
                [CreateCampaignWithSubcampaigns(campaign: Booking.create("cmp-3"), subcampaigns: []),
                 CreateCampaignWithSubcampaigns(campaign: Booking.create("cmp-4"), subcampaigns: [])],
                envelope: Booking.envelope()
            )
        }
        #expect(bulk?.bulkRejection?.failures.map(\.index) == [1])
        #expect(try await store.streamVersion("campaign-cmp-3") == nil)
    }
}

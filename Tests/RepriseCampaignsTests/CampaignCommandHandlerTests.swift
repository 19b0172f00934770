import Foundation
import RepriseCampaigns
import RepriseDomain
import RepriseEventLog
import RepriseTestSupport
import Testing

@Suite("Campaign commands against the event store")
struct CampaignCommandHandlerTests {
    @Test func commandsBecomeEventsAndTheCampaignIsRebuiltFromThem() async throws {
        try await Booking.withHandler { handler, _ in
            try await Booking.activeCampaign("cmp-1", handler: handler)
            let (campaign, version) = try await handler.load("cmp-1")
            #expect(version == 3)
            #expect(campaign?.status == .active)
            #expect(campaign?.liveSubcampaigns.map(\.id) == ["sub-1"])
        }
    }

    @Test func aRejectedCommandNamesTheRuleAndAppendsNothing() async throws {
        try await Booking.withHandler { handler, store in
            try await handler.handle(.create(Booking.create("cmp-1")), envelope: Booking.envelope())
            let error = await #expect(throws: CommandError.self) {
                try await handler.handle(
                    .changeBudget(ChangeBudget(campaignID: "cmp-1", budget: Money(amountMinor: 0, currency: "EUR"))),
                    envelope: Booking.envelope()
                )
            }
            #expect(error?.code == .rejected)
            #expect(error?.domainError?.code == .budgetNotPositive)
            #expect(try await store.streamVersion("campaign-cmp-1") == 1)
        }
    }

    @Test func aRetriedCommandIDGetsTheFirstOutcomeAndAppendsNothing() async throws {
        try await Booking.withHandler { handler, store in
            let envelope = Booking.envelope("create-once")
            let first = try await handler.handle(.create(Booking.create("cmp-1")), envelope: envelope)
            // Decided again, the create would be refused: the campaign exists now. The id tells a retry apart.
            let retry = try await handler.handle(.create(Booking.create("cmp-1")), envelope: envelope)
            #expect(!first.isDuplicate)
            #expect(retry.isDuplicate)
            #expect(retry.version == first.version)
            #expect(try await store.streamVersion("campaign-cmp-1") == 1)
        }
    }

    @Test func aPinnedVersionThatIsStaleIsAMismatchCarryingTheActualVersion() async throws {
        try await Booking.withHandler { handler, _ in
            try await Booking.activeCampaign("cmp-1", handler: handler)
            let error = await #expect(throws: CommandError.self) {
                try await handler.handle(.pause("cmp-1"), envelope: Booking.envelope(), expectedVersion: 2)
            }
            #expect(error?.code == .versionMismatch)
            #expect(error?.actualVersion == 3)
            let paused = try await handler.handle(.pause("cmp-1"), envelope: Booking.envelope(), expectedVersion: 3)
            #expect(paused.version == 4)
        }
    }

    @Test func concurrentCommandsOnOneCampaignAllLandInSomeOrder() async throws {
        try await Booking.withHandler { handler, _ in
            try await Booking.activeCampaign("cmp-1", handler: handler)
            let reports = 12
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<reports {
                    group.addTask {
                        let report = Booking.report(try ReportID("rep-\(index)"))
                        try await handler.handle(.reportDelivery(ReportDelivery(campaignID: "cmp-1", report: report)), envelope: Booking.envelope())
                    }
                }
                try await group.waitForAll()
            }
            let (campaign, version) = try await handler.load("cmp-1")
            #expect(version == 3 + reports)
            #expect(campaign?.spent.amountMinor == Int64(reports) * 1_000)
        }
    }

    @Test func aBulkBuyBooksEveryCampaignOrNone() async throws {
        try await Booking.withHandler { handler, store in
            let good = CreateCampaignWithSubcampaigns(campaign: Booking.create("bulk-1"), subcampaigns: [Booking.subcampaign()], activate: true)
            var bad = CreateCampaignWithSubcampaigns(campaign: Booking.create("bulk-2"), subcampaigns: [Booking.subcampaign()])
            bad.campaign.flight = Flight(start: "2026-12-31T00:00:00Z", end: "2026-12-01T00:00:00Z")

            let error = await #expect(throws: CommandError.self) {
                try await handler.bulkBuy([good, bad], envelope: Booking.envelope())
            }
            #expect(error?.code == .bulkRejected)
            #expect(error?.bulkRejection?.failures.map(\.index) == [1])
            #expect(error?.bulkRejection?.failures.first?.error.code == .flightEndNotAfterStart)
            #expect(try await store.streamVersion("campaign-bulk-1") == nil)

            let second = CreateCampaignWithSubcampaigns(campaign: Booking.create("bulk-3"), subcampaigns: [Booking.subcampaign()])
            let outcomes = try await handler.bulkBuy([good, second], envelope: Booking.envelope())
            #expect(outcomes.map(\.campaignID) == ["bulk-1", "bulk-3"])
            #expect(try await handler.load("bulk-1").0?.status == .active)
            #expect(try await handler.load("bulk-3").0?.status == .draft)
        }
    }
}

@Suite("Command handler's remembered states")
struct CampaignStateCacheTests {
    @Test("a state another process changed since is never the ground for a refusal or a lost write")
    func staleStateIsRereadFromTheStore() async throws {
        try await Booking.withHandler { first, store in
            let second = CampaignCommandHandler(store: store, logger: Booking.logger)
            try await Booking.activeCampaign("cmp-1", handler: first)
            try await first.handle(.pause("cmp-1"), envelope: Booking.envelope())       // first remembers: paused, v4
            try await second.handle(.resume("cmp-1"), envelope: Booking.envelope())     // the store: active, v5
            // From its memory, first would refuse "already paused"; it must read the store.
            let paused = try await first.handle(.pause("cmp-1"), envelope: Booking.envelope())
            #expect(paused.version == 6)
            try await second.handle(.resume("cmp-1"), envelope: Booking.envelope())     // v7
            // From its memory (v6) the append conflicts; it decides again on v7.
            let changed = try await first.handle(
                .changeBudget(ChangeBudget(campaignID: "cmp-1", budget: Money(amountMinor: 2_000_000, currency: "EUR"))),
                envelope: Booking.envelope()
            )
            #expect(changed.version == 8)
            let (campaign, version) = try await second.load("cmp-1")
            #expect(version == 8)
            #expect(campaign?.status == .active)
            #expect(campaign?.budget.amountMinor == 2_000_000)
            // A pinned version is checked against the store, not the memory.
            await #expect(throws: CommandError.self) {
                try await first.handle(.pause("cmp-1"), envelope: Booking.envelope(), expectedVersion: 6)
            }
        }
    }
}

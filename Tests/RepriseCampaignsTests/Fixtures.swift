import Foundation
import Logging
import RepriseCampaigns
import RepriseDomain
import RepriseEventLog

/// A month-long 10,000.00 EUR campaign, and the commands the tests send about it.
enum Booking {
    static let flight = Flight(start: "2026-12-01T00:00:00Z", end: "2026-12-31T00:00:00Z")
    static let now: Timestamp = "2026-11-21T12:00:00Z"

    static func create(_ id: CampaignID, budgetMinor: Int64 = 1_000_000) -> CreateCampaign {
        CreateCampaign(
            campaignID: id, ownerID: "label-7", name: "Winter single", objective: .reach,
            budget: Money(amountMinor: budgetMinor, currency: "EUR"), flight: flight, pacingMode: .even
        )
    }

    static func subcampaign(_ id: SubcampaignID = "sub-1") -> NewSubcampaign {
        NewSubcampaign(
            id: id, targeting: Targeting(markets: ["SE", "NO"], surfaces: ["home"], segments: ["superfans"]),
            pricing: .cpm(450), shareBounds: .unbounded, promotedItem: .track("trk-1")
        )
    }

    static func report(_ id: ReportID, spendMinor: Int64 = 1_000) -> DeliveryReport {
        DeliveryReport(
            reportID: id, subcampaignID: "sub-1", from: "2026-12-01T00:00:00Z", to: "2026-12-01T01:00:00Z",
            impressions: 1_000, reachEstimate: 800, clicks: 10, conversions: 1,
            spend: Money(amountMinor: spendMinor, currency: "EUR")
        )
    }

    static func envelope(_ commandID: String = UUID().uuidString, at time: Timestamp = now) -> CommandEnvelope {
        CommandEnvelope(commandID: commandID, correlationID: UUID(), actor: "label-7", issuedAt: time)
    }

    static let logger = Logger(label: "test.campaigns", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A handler on a log holding only the assignment of trk-1 to label-7. The handler knows
    /// only the port, so the log is in memory; the PostgreSQL store passes the same
    /// conformance checks.
    static func withHandler<R: Sendable>(
        _ body: (CampaignCommandHandler, InMemoryEventStore) async throws -> R
    ) async throws -> R {
        let store = InMemoryEventStore()
        let handler = CampaignCommandHandler(store: store, logger: logger)
        try await handler.tracks.assign("trk-1", to: "label-7", envelope: envelope())
        return try await body(handler, store)
    }

    /// Creates `id` with one subcampaign and activates it: version 3.
    static func activeCampaign(_ id: CampaignID, handler: CampaignCommandHandler) async throws {
        try await handler.handle(.create(create(id)), envelope: envelope())
        try await handler.handle(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: subcampaign())), envelope: envelope())
        try await handler.handle(.activate(id), envelope: envelope())
    }
}

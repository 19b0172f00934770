import RepriseDomain
import RepriseTestSupport
import Testing

/// The standard campaign the tests start from: 10 000.00 EUR over a month that begins
/// nine days after `now`, with one subcampaign `sub-1`.
enum Fixture {
    static let campaignID: CampaignID = "cmp-1"
    static let now: Timestamp = "2026-11-01T09:00:00.000000Z"
    static let flight = Flight(start: "2026-11-10T00:00:00Z", end: "2026-12-10T00:00:00Z")
    static let afterFlight: Timestamp = "2026-12-10T00:00:00Z"
    static let targeting = Targeting(markets: ["SE", "NO"], surfaces: ["home", "now-playing"], segments: ["superfans"])

    static func euros(_ cents: Int64) -> Money { Money(amountMinor: cents, currency: "EUR") }

    /// The track catalog the tests decide against: label-7 holds trk-42.
    static let trackHolders: [TrackID: OwnerID] = ["trk-42": "label-7"]

    /// A command's context at `moment`, with the standard rules and the fixture's catalog.
    static func context(at moment: Timestamp = now, actor: String = "tester", rules: BookingRules = .standard) -> CommandContext {
        CommandContext(issuedAt: moment, actor: actor, rules: rules, trackHolders: trackHolders)
    }

    static func create(
        _ id: CampaignID = campaignID, budget: Money = euros(1_000_000), flight: Flight = flight, name: String = "Autumn single"
    ) -> CreateCampaign {
        CreateCampaign(
            campaignID: id, ownerID: "label-7", name: name, objective: .reach, budget: budget, flight: flight,
            pacingMode: .even
        )
    }

    static func subcampaign(
        _ id: SubcampaignID = "sub-1", targeting: Targeting = targeting, pricing: Pricing = .cpm(450),
        bounds: ShareBounds = .unbounded
    ) -> NewSubcampaign {
        NewSubcampaign(id: id, targeting: targeting, pricing: pricing, shareBounds: bounds, promotedItem: .track("trk-42"))
    }

    static func report(
        _ id: ReportID = "rep-1", subcampaign: SubcampaignID = "sub-1", impressions: Int64 = 10_000,
        reach: Int64 = 6_000, clicks: Int64 = 120, conversions: Int64 = 9, spend: Money = euros(4_500),
        from: Timestamp = "2026-11-10T00:00:00Z", to: Timestamp = "2026-11-10T01:00:00Z"
    ) -> DeliveryReport {
        DeliveryReport(
            reportID: id, subcampaignID: subcampaign, from: from, to: to, impressions: impressions,
            reachEstimate: reach, clicks: clicks, conversions: conversions, spend: spend
        )
    }
}

/// A campaign's stream being written: each accepted command's events are appended and the
/// state evolves, exactly as the event store and a command handler will do it.
struct Scenario {
    private(set) var events: [CampaignEvent] = []
    private(set) var state: Campaign?
    var now: Timestamp = Fixture.now
    var rules: BookingRules = .standard

    var campaign: Campaign {
        get throws { try #require(state) }
    }

    /// Decides `command` and, if accepted, appends its events.
    @discardableResult
    mutating func run(_ command: CampaignCommand) throws(DomainError) -> [CampaignEvent] {
        let new = try decide(command)
        events += new
        for event in new { Campaign.apply(event, to: &state) }
        return new
    }

    /// Decides `command` without appending anything.
    func decide(_ command: CampaignCommand) throws(DomainError) -> [CampaignEvent] {
        try Campaign.decide(command, state: state, context: Fixture.context(at: now, rules: rules))
    }

    /// A draft campaign with subcampaign `sub-1`.
    static func draft() throws -> Scenario {
        var scenario = Scenario()
        try scenario.run(.create(Fixture.create()))
        try scenario.run(.addSubcampaign(AddSubcampaign(campaignID: Fixture.campaignID, subcampaign: Fixture.subcampaign())))
        return scenario
    }

    /// The draft, activated.
    static func active() throws -> Scenario {
        var scenario = try draft()
        try scenario.run(.activate(Fixture.campaignID))
        return scenario
    }
}

/// Expects `body` to be rejected with `code` (and `field`, when given); returns the error.
@discardableResult
func expectRejection(
    _ code: DomainError.Code, field: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> [CampaignEvent]
) -> DomainError? {
    do {
        let events = try body()
        Issue.record("expected \(code), but the command was accepted with \(events.count) event(s)", sourceLocation: sourceLocation)
        return nil
    } catch let error as DomainError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        if let field { #expect(error.field == field, "\(error)", sourceLocation: sourceLocation) }
        return error
    } catch {
        Issue.record("expected \(code), but a set-up step failed: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

import RepriseDomain
import RepriseScoring
import RepriseTestSupport
import Testing

/// The campaign the scoring tests start from: 10 000.00 EUR over 30 days from 10 November,
/// with subcampaign `sub-1` promoting track `trk-42` in SE and NO on home and now-playing.
enum ScoringFixture {
    static let campaignID: CampaignID = "cmp-1"
    static let bookedAt: Timestamp = "2026-11-01T09:00:00Z"
    static let flight = Flight(start: "2026-11-10T00:00:00Z", end: "2026-12-10T00:00:00Z")
    static let budget: Int64 = 1_000_000
    static let targeting = Targeting(markets: ["SE", "NO"], surfaces: ["home", "now-playing"], segments: ["superfans"])

    static func euros(_ cents: Int64) -> Money { Money(amountMinor: cents, currency: "EUR") }

    /// The track catalog: label-7, the fixture campaign's owner, holds the tracks it promotes.
    static let trackHolders: [TrackID: OwnerID] = [
        "trk-42": "label-7", "trk-7": "label-7", "trk-1": "label-7", "trk-2": "label-7", "trk-3": "label-7", "trk-4": "label-7",
    ]

    /// The moment `fraction` of the way through the flight.
    static func intoFlight(_ fraction: Double) throws -> Timestamp {
        let start = flight.start.microsecondsSinceEpoch, end = flight.end.microsecondsSinceEpoch
        return try Timestamp(microsecondsSinceEpoch: start + Int64(Double(end - start) * fraction))
    }

    static func subcampaign(
        _ id: SubcampaignID = "sub-1", targeting: Targeting = targeting, bounds: ShareBounds = .unbounded,
        promoting item: PromotedItem = .track("trk-42")
    ) -> NewSubcampaign {
        NewSubcampaign(id: id, targeting: targeting, pricing: .cpm(450), shareBounds: bounds, promotedItem: item)
    }
}

/// A campaign's stream written through the real `Campaign.decide`, with the scoring state
/// folded alongside it exactly as the projector will fold it.
struct ScoredStream {
    private(set) var events: [CampaignEvent] = []
    private(set) var campaign: Campaign?
    private(set) var scoring: ScoringCampaign?
    var now: Timestamp = ScoringFixture.bookedAt
    var rules: BookingRules = .standard
    private var reports = 0

    /// Decides `command` at `now` and, if accepted, appends its events.
    @discardableResult
    mutating func run(_ command: CampaignCommand) throws(DomainError) -> [CampaignEvent] {
        let context = CommandContext(issuedAt: now, actor: "tester", rules: rules, trackHolders: ScoringFixture.trackHolders)
        let new = try Campaign.decide(command, state: campaign, context: context)
        for event in new { append(event) }
        return new
    }

    private mutating func append(_ event: CampaignEvent) {
        events.append(event)
        Campaign.apply(event, to: &campaign)
        if scoring == nil { scoring = ScoringCampaign(event) } else { scoring?.apply(event) }
    }

    /// The scores of the stream's campaign at `moment`.
    func scores(at moment: Timestamp) throws -> [PromotionScore] { try #require(scoring).scores(at: moment) }

    /// The fixture campaign with `subcampaigns`, activated.
    static func active(_ subcampaigns: [NewSubcampaign] = [ScoringFixture.subcampaign()]) throws -> ScoredStream {
        var stream = ScoredStream()
        try stream.run(.create(CreateCampaign(
            campaignID: ScoringFixture.campaignID, ownerID: "label-7", name: "Autumn single", objective: .reach,
            budget: ScoringFixture.euros(ScoringFixture.budget), flight: ScoringFixture.flight, pacingMode: .even
        )))
        for subcampaign in subcampaigns {
            try stream.run(.addSubcampaign(AddSubcampaign(campaignID: ScoringFixture.campaignID, subcampaign: subcampaign)))
        }
        try stream.run(.activate(ScoringFixture.campaignID))
        return stream
    }

    /// Reports `spend` (minor units) delivered by `subcampaign`, in the flight's first hour.
    mutating func deliver(_ spend: Int64, by subcampaign: SubcampaignID = "sub-1") throws {
        reports += 1
        let report = DeliveryReport(
            reportID: try ReportID("rep-\(reports)"), subcampaignID: subcampaign,
            from: ScoringFixture.flight.start, to: "2026-11-10T01:00:00Z",
            impressions: 1_000, reachEstimate: 800, clicks: 10, conversions: 1, spend: ScoringFixture.euros(spend)
        )
        try run(.reportDelivery(ReportDelivery(campaignID: ScoringFixture.campaignID, report: report)))
    }
}

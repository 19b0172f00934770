/// A campaign as it stands after some prefix of its event stream: the aggregate that
/// `decide` checks commands against and `evolve` builds.
///
/// A campaign is never made directly: it is `Campaign.replay(events)`, so that every
/// campaign in memory is one that its history explains. It encodes (for audits and APIs)
/// but does not decode, for the same reason.
public struct Campaign: Hashable, Sendable, Encodable {
    public internal(set) var id: CampaignID
    public internal(set) var ownerID: OwnerID
    public internal(set) var name: String
    public internal(set) var objective: Objective
    public internal(set) var budget: Money
    public internal(set) var flight: Flight
    public internal(set) var pacingMode: PacingMode
    public internal(set) var status: CampaignStatus
    /// When the campaign ended, once it has.
    public internal(set) var endedAt: Timestamp?
    /// Every subcampaign ever added, removed ones included, in the order they were added.
    public internal(set) var subcampaigns: [Subcampaign]
    /// The sum of spend over every accepted delivery report, in the budget's currency.
    public internal(set) var spent: Money
    /// The content digest (`DeliveryReport.contentDigest`) of every accepted report, by id.
    /// Not encoded: it grows with every report, so the API pages it apart from the campaign.
    public internal(set) var deliveryReportDigests: [ReportID: String]
    /// How many events built this state: the stream version it reflects.
    public internal(set) var version: Int

    init(created event: CampaignCreated) {
        id = event.campaignID
        ownerID = event.ownerID
        name = event.name
        objective = event.objective
        budget = event.budget
        flight = event.flight
        pacingMode = event.pacingMode
        status = .draft
        endedAt = nil
        subcampaigns = []
        spent = .zero(event.budget.currency)
        deliveryReportDigests = [:]
        version = 1
    }

    enum CodingKeys: String, CodingKey {
        case id, ownerID = "ownerId", name, objective, budget, flight, pacingMode, status, endedAt
        case subcampaigns, spent, version
    }

    /// The event stream that holds a campaign's history.
    public static func streamID(for id: CampaignID) -> String { streamPrefix + id.rawValue }

    /// The campaign a stream id names, or nil if it is not a campaign stream.
    public static func campaignID(fromStreamID streamID: String) -> CampaignID? {
        guard streamID.hasPrefix(streamPrefix) else { return nil }
        return try? CampaignID(String(streamID.dropFirst(streamPrefix.count)))
    }

    private static let streamPrefix = "campaign-"

    /// The subcampaign with this id, unless it was never added or has been removed.
    public func liveSubcampaign(_ id: SubcampaignID) -> Subcampaign? {
        subcampaigns.first { $0.id == id && $0.status != .removed }
    }

    /// Subcampaigns that are not removed.
    public var liveSubcampaigns: [Subcampaign] { subcampaigns.filter { $0.status != .removed } }

    /// The share of the budget promised to subcampaigns as minimums, in basis points.
    /// Removed subcampaigns no longer hold a share; paused ones keep theirs.
    public var reservedShareBasisPoints: Int {
        liveSubcampaigns.reduce(0) { $0 + $1.shareBounds.reservedBasisPoints }
    }

    /// Budget left to spend; negative if delivery overshot the budget.
    public var remainingBudgetMinor: Int64 { budget.amountMinor.saturatingAdd(-spent.amountMinor) }
}

extension Identifier: CodingKeyRepresentable {
    // Lets dictionaries keyed by an id encode as JSON objects, not as [key, value, …] arrays.
    public var codingKey: any CodingKey { IdentifierCodingKey(stringValue: rawValue) }

    public init?<T: CodingKey>(codingKey: T) {
        guard let id = try? Identifier(codingKey.stringValue) else { return nil }
        self = id
    }
}

private struct IdentifierCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

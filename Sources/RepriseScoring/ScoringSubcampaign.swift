import RepriseDomain

/// One subcampaign as the score projection keeps it.
public struct ScoringSubcampaign: Codable, Equatable, Sendable {
    public var id: SubcampaignID
    public var status: SubcampaignStatus
    /// The promoted track; nil when the subcampaign promotes a creative, which never scores.
    public var track: TrackID?
    /// Sorted, without duplicates.
    public var markets: [Market]
    /// Sorted, without duplicates.
    public var surfaces: [Surface]
    /// The most of the campaign's budget this subcampaign may spend, in basis points; nil: no cap.
    public var maximumShareBasisPoints: Int?
    /// The sum of spend over this subcampaign's delivery reports.
    public var spentMinor: Int64

    public init(
        id: SubcampaignID, status: SubcampaignStatus, track: TrackID?, markets: [Market], surfaces: [Surface],
        maximumShareBasisPoints: Int?, spentMinor: Int64
    ) {
        self.id = id
        self.status = status
        self.track = track
        self.markets = Array(Set(markets)).sorted()
        self.surfaces = Array(Set(surfaces)).sorted()
        self.maximumShareBasisPoints = maximumShareBasisPoints
        self.spentMinor = spentMinor
    }

    init(
        id: SubcampaignID, status: SubcampaignStatus, promotedItem: PromotedItem, targeting: Targeting,
        maximumShareBasisPoints: Int?, spentMinor: Int64
    ) {
        let track: TrackID? =
            switch promotedItem {
            case .track(let id): id
            case .creative: nil
            }
        self.init(
            id: id, status: status, track: track, markets: targeting.markets, surfaces: targeting.surfaces,
            maximumShareBasisPoints: maximumShareBasisPoints, spentMinor: spentMinor
        )
    }

    enum CodingKeys: String, CodingKey {
        case id, status, track, markets, surfaces, maximumShareBasisPoints, spentMinor
    }

    /// Events carry targeting sorted already; sorting again keeps a foreign stream canonical too.
    mutating func target(_ targeting: Targeting) {
        markets = Array(Set(targeting.markets)).sorted()
        surfaces = Array(Set(targeting.surfaces)).sorted()
    }
}

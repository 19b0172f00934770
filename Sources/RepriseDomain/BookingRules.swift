/// The bounds every booking is held to: how far before its command a flight may start, and
/// how much one campaign, one subcampaign and one owner may ask of the score projector.
///
/// Each promoted market × surface of an active subcampaign is a score row that every clock
/// tick recomputes, so these limits are what keeps one caller from flooding the projector.
/// `RepriseSettings` holds the defaults (`campaigns.*`); `standard` is the same values.
public struct BookingRules: Hashable, Sendable {
    /// How long before the command's time a new flight start may lie, in seconds: room for a
    /// client's clock and a request in transit, never a backdated flight.
    public var flightStartSlackSeconds: Int
    /// The most subcampaigns one campaign may ever add (removed ones count: the campaign's
    /// state keeps them, and their ids are never reused).
    public var maxSubcampaignsPerCampaign: Int
    /// The most markets × surfaces one subcampaign may target: the score rows it yields.
    public var maxTargetingCellsPerSubcampaign: Int
    /// The most open campaigns (draft, active or paused) one owner may have.
    public var maxOpenCampaignsPerOwner: Int

    public init(
        flightStartSlackSeconds: Int, maxSubcampaignsPerCampaign: Int, maxTargetingCellsPerSubcampaign: Int,
        maxOpenCampaignsPerOwner: Int
    ) {
        self.flightStartSlackSeconds = flightStartSlackSeconds
        self.maxSubcampaignsPerCampaign = maxSubcampaignsPerCampaign
        self.maxTargetingCellsPerSubcampaign = maxTargetingCellsPerSubcampaign
        self.maxOpenCampaignsPerOwner = maxOpenCampaignsPerOwner
    }

    /// Five minutes of slack, 20 subcampaigns, 150 markets × surfaces (25 markets on all six
    /// surfaces), 100 open campaigns per owner.
    public static let standard = BookingRules(
        flightStartSlackSeconds: 300, maxSubcampaignsPerCampaign: 20, maxTargetingCellsPerSubcampaign: 150,
        maxOpenCampaignsPerOwner: 100
    )

    /// The earliest start a flight decided at `now` may have.
    func earliestFlightStart(now: Timestamp) -> Int64 {
        now.microsecondsSinceEpoch - Int64(flightStartSlackSeconds) * 1_000_000
    }
}

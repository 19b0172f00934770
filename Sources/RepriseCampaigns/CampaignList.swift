import RepriseDomain

/// One line of a campaign list.
public struct CampaignSummary: Sendable, Equatable, Encodable {
    public let campaignId: CampaignID
    public let ownerId: OwnerID
    public let name: String
    public let status: CampaignStatus
    public let version: Int

    public init(campaignId: CampaignID, ownerId: OwnerID, name: String, status: CampaignStatus, version: Int) {
        self.campaignId = campaignId
        self.ownerId = ownerId
        self.name = name
        self.status = status
        self.version = version
    }
}

/// A page of campaigns in id order, and the id to pass as `after` for the next one.
public struct CampaignPage: Sendable, Equatable, Encodable {
    public let items: [CampaignSummary]
    public let nextAfter: CampaignID?

    public init(items: [CampaignSummary], nextAfter: CampaignID?) {
        self.items = items
        self.nextAfter = nextAfter
    }
}

/// Campaigns by owner and status, in pages: the port the API lists campaigns through.
///
/// The `campaigns` projection keeps the list (`CampaignsProjection`); it is eventually
/// consistent with the log, behind it by the relay's and the projector's lag.
public protocol CampaignList: Sendable {
    /// Campaigns whose owner is in `owners` (nil: any) and whose status is `status` (nil:
    /// any), in id order after `after`, at most `limit`.
    func page(owners: Set<OwnerID>?, status: CampaignStatus?, after: CampaignID?, limit: Int) async throws(CommandError) -> CampaignPage
}

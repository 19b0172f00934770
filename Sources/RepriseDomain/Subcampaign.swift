/// A line item of a campaign as it stands: what it targets, what it pays, what it promotes,
/// and what it has delivered.
public struct Subcampaign: Hashable, Sendable, Codable {
    public var id: SubcampaignID
    public var targeting: Targeting
    public var pricing: Pricing
    public var shareBounds: ShareBounds
    public var promotedItem: PromotedItem
    public var status: SubcampaignStatus
    public var delivered: DeliveryTotals

    public init(
        id: SubcampaignID, targeting: Targeting, pricing: Pricing, shareBounds: ShareBounds,
        promotedItem: PromotedItem, status: SubcampaignStatus = .active, delivered: DeliveryTotals = .zero
    ) {
        self.id = id
        self.targeting = targeting
        self.pricing = pricing
        self.shareBounds = shareBounds
        self.promotedItem = promotedItem
        self.status = status
        self.delivered = delivered
    }
}

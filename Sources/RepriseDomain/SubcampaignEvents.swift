// The facts about subcampaigns (line items) and what they delivered.

/// A subcampaign was added to a campaign, active. `subcampaign.added` v2.
///
/// v1 carried a bare `cpmMinor` integer instead of `pricing`; `EventUpcaster` turns stored
/// v1 JSON into v2 when it is read, and the domain writes v2 only.
public struct SubcampaignAdded: CampaignEventPayload {
    public static let eventType = "subcampaign.added"
    public static let schemaVersion = 2

    public var campaignID: CampaignID
    public var subcampaignID: SubcampaignID
    public var targeting: Targeting
    public var pricing: Pricing
    public var shareBounds: ShareBounds
    public var promotedItem: PromotedItem

    public init(
        campaignID: CampaignID, subcampaignID: SubcampaignID, targeting: Targeting, pricing: Pricing,
        shareBounds: ShareBounds, promotedItem: PromotedItem
    ) {
        self.campaignID = campaignID
        self.subcampaignID = subcampaignID
        self.targeting = targeting
        self.pricing = pricing
        self.shareBounds = shareBounds
        self.promotedItem = promotedItem
    }

    enum CodingKeys: String, CodingKey {
        case campaignID = "campaignId", subcampaignID = "subcampaignId", targeting, pricing, shareBounds, promotedItem
    }

    public var event: CampaignEvent { .subcampaignAdded(self) }
}

/// A subcampaign's markets, surfaces or segments changed. `subcampaign.targeting-changed` v1.
public struct SubcampaignTargetingChanged: CampaignEventPayload {
    public static let eventType = "subcampaign.targeting-changed"
    public static let schemaVersion = 1

    public var campaignID: CampaignID
    public var subcampaignID: SubcampaignID
    public var targeting: Targeting

    public init(campaignID: CampaignID, subcampaignID: SubcampaignID, targeting: Targeting) {
        self.campaignID = campaignID
        self.subcampaignID = subcampaignID
        self.targeting = targeting
    }

    enum CodingKeys: String, CodingKey { case campaignID = "campaignId", subcampaignID = "subcampaignId", targeting }

    public var event: CampaignEvent { .subcampaignTargetingChanged(self) }
}

/// A subcampaign's price changed. `subcampaign.price-changed` v1.
public struct SubcampaignPriceChanged: CampaignEventPayload {
    public static let eventType = "subcampaign.price-changed"
    public static let schemaVersion = 1

    public var campaignID: CampaignID
    public var subcampaignID: SubcampaignID
    public var pricing: Pricing

    public init(campaignID: CampaignID, subcampaignID: SubcampaignID, pricing: Pricing) {
        self.campaignID = campaignID
        self.subcampaignID = subcampaignID
        self.pricing = pricing
    }

    enum CodingKeys: String, CodingKey { case campaignID = "campaignId", subcampaignID = "subcampaignId", pricing }

    public var event: CampaignEvent { .subcampaignPriceChanged(self) }
}

/// A subcampaign's bounds on its share of the budget changed. `subcampaign.budget-bounds-changed` v1.
public struct SubcampaignBudgetBoundsChanged: CampaignEventPayload {
    public static let eventType = "subcampaign.budget-bounds-changed"
    public static let schemaVersion = 1

    public var campaignID: CampaignID
    public var subcampaignID: SubcampaignID
    public var shareBounds: ShareBounds

    public init(campaignID: CampaignID, subcampaignID: SubcampaignID, shareBounds: ShareBounds) {
        self.campaignID = campaignID
        self.subcampaignID = subcampaignID
        self.shareBounds = shareBounds
    }

    enum CodingKeys: String, CodingKey { case campaignID = "campaignId", subcampaignID = "subcampaignId", shareBounds }

    public var event: CampaignEvent { .subcampaignBudgetBoundsChanged(self) }
}

/// A subcampaign stopped delivering until resumed. `subcampaign.paused` v1.
public struct SubcampaignPaused: CampaignEventPayload {
    public static let eventType = "subcampaign.paused"
    public static let schemaVersion = 1

    public var campaignID: CampaignID
    public var subcampaignID: SubcampaignID

    public init(campaignID: CampaignID, subcampaignID: SubcampaignID) {
        self.campaignID = campaignID
        self.subcampaignID = subcampaignID
    }

    enum CodingKeys: String, CodingKey { case campaignID = "campaignId", subcampaignID = "subcampaignId" }

    public var event: CampaignEvent { .subcampaignPaused(self) }
}

/// A paused subcampaign went live again. `subcampaign.resumed` v1.
public struct SubcampaignResumed: CampaignEventPayload {
    public static let eventType = "subcampaign.resumed"
    public static let schemaVersion = 1

    public var campaignID: CampaignID
    public var subcampaignID: SubcampaignID

    public init(campaignID: CampaignID, subcampaignID: SubcampaignID) {
        self.campaignID = campaignID
        self.subcampaignID = subcampaignID
    }

    enum CodingKeys: String, CodingKey { case campaignID = "campaignId", subcampaignID = "subcampaignId" }

    public var event: CampaignEvent { .subcampaignResumed(self) }
}

/// A subcampaign was taken out of its campaign for good. `subcampaign.removed` v1.
public struct SubcampaignRemoved: CampaignEventPayload {
    public static let eventType = "subcampaign.removed"
    public static let schemaVersion = 1

    public var campaignID: CampaignID
    public var subcampaignID: SubcampaignID

    public init(campaignID: CampaignID, subcampaignID: SubcampaignID) {
        self.campaignID = campaignID
        self.subcampaignID = subcampaignID
    }

    enum CodingKeys: String, CodingKey { case campaignID = "campaignId", subcampaignID = "subcampaignId" }

    public var event: CampaignEvent { .subcampaignRemoved(self) }
}

/// The delivery side reported what one subcampaign served in one interval. `delivery.reported` v1.
public struct DeliveryReported: CampaignEventPayload {
    public static let eventType = "delivery.reported"
    public static let schemaVersion = 1

    public var campaignID: CampaignID
    public var report: DeliveryReport

    public init(campaignID: CampaignID, report: DeliveryReport) {
        self.campaignID = campaignID
        self.report = report
    }

    enum CodingKeys: String, CodingKey { case campaignID = "campaignId", report }

    public var event: CampaignEvent { .deliveryReported(self) }
}

/// Every fact that can happen to a campaign, one case per event type.
///
/// Each case wraps a payload struct that knows its stable type name (`campaign.created`)
/// and its current schema version; `EventCodec` turns them into JSON and back.
public enum CampaignEvent: Hashable, Sendable {
    case campaignCreated(CampaignCreated)
    case campaignBudgetChanged(CampaignBudgetChanged)
    case campaignFlightChanged(CampaignFlightChanged)
    case campaignActivated(CampaignActivated)
    case campaignPaused(CampaignPaused)
    case campaignResumed(CampaignResumed)
    case campaignCancelled(CampaignCancelled)
    case campaignEnded(CampaignEnded)
    case subcampaignAdded(SubcampaignAdded)
    case subcampaignTargetingChanged(SubcampaignTargetingChanged)
    case subcampaignPriceChanged(SubcampaignPriceChanged)
    case subcampaignBudgetBoundsChanged(SubcampaignBudgetBoundsChanged)
    case subcampaignPaused(SubcampaignPaused)
    case subcampaignResumed(SubcampaignResumed)
    case subcampaignRemoved(SubcampaignRemoved)
    case deliveryReported(DeliveryReported)

    /// Every payload type, in the order of the cases above.
    public static let payloadTypes: [any CampaignEventPayload.Type] = [
        CampaignCreated.self, CampaignBudgetChanged.self, CampaignFlightChanged.self,
        CampaignActivated.self, CampaignPaused.self, CampaignResumed.self, CampaignCancelled.self,
        CampaignEnded.self, SubcampaignAdded.self, SubcampaignTargetingChanged.self,
        SubcampaignPriceChanged.self, SubcampaignBudgetBoundsChanged.self, SubcampaignPaused.self,
        SubcampaignResumed.self, SubcampaignRemoved.self, DeliveryReported.self,
    ]

    public var payload: any CampaignEventPayload {
        switch self {
        case .campaignCreated(let payload): payload
        case .campaignBudgetChanged(let payload): payload
        case .campaignFlightChanged(let payload): payload
        case .campaignActivated(let payload): payload
        case .campaignPaused(let payload): payload
        case .campaignResumed(let payload): payload
        case .campaignCancelled(let payload): payload
        case .campaignEnded(let payload): payload
        case .subcampaignAdded(let payload): payload
        case .subcampaignTargetingChanged(let payload): payload
        case .subcampaignPriceChanged(let payload): payload
        case .subcampaignBudgetBoundsChanged(let payload): payload
        case .subcampaignPaused(let payload): payload
        case .subcampaignResumed(let payload): payload
        case .subcampaignRemoved(let payload): payload
        case .deliveryReported(let payload): payload
        }
    }

    /// The stable type name, such as `subcampaign.added`.
    public var type: String { Swift.type(of: payload).eventType }

    /// The schema version this event is written with.
    public var schemaVersion: Int { Swift.type(of: payload).schemaVersion }

    public var campaignID: CampaignID { payload.campaignID }
}

/// The data of one event type: its name, its current schema version, and its JSON shape.
///
/// A payload whose JSON changes shape gets a new `schemaVersion`, a new schema file, and an
/// `EventUpcaster` step from the old version.
public protocol CampaignEventPayload: Codable, Hashable, Sendable {
    static var eventType: String { get }
    static var schemaVersion: Int { get }
    var campaignID: CampaignID { get }
    /// This payload as a `CampaignEvent`.
    var event: CampaignEvent { get }
}

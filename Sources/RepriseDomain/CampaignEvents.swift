// The facts about a campaign as a whole. Every payload names its campaign, so an event
// read on its own (in a log, a projection, an audit) says what it is about.

/// A campaign was booked, as a draft. `campaign.created` v1.
public struct CampaignCreated: CampaignEventPayload {
    public static let eventType = "campaign.created"
    public static let schemaVersion = 1

    public var campaignID: CampaignID
    public var ownerID: OwnerID
    public var name: String
    public var objective: Objective
    public var budget: Money
    public var flight: Flight
    public var pacingMode: PacingMode

    public init(
        campaignID: CampaignID, ownerID: OwnerID, name: String, objective: Objective, budget: Money,
        flight: Flight, pacingMode: PacingMode
    ) {
        self.campaignID = campaignID
        self.ownerID = ownerID
        self.name = name
        self.objective = objective
        self.budget = budget
        self.flight = flight
        self.pacingMode = pacingMode
    }

    enum CodingKeys: String, CodingKey {
        case campaignID = "campaignId", ownerID = "ownerId", name, objective, budget, flight, pacingMode
    }

    public var event: CampaignEvent { .campaignCreated(self) }
}

/// The campaign's budget was set to a new amount, in the same currency. `campaign.budget-changed` v1.
public struct CampaignBudgetChanged: CampaignEventPayload {
    public static let eventType = "campaign.budget-changed"
    public static let schemaVersion = 1

    public var campaignID: CampaignID
    public var budget: Money

    public init(campaignID: CampaignID, budget: Money) {
        self.campaignID = campaignID
        self.budget = budget
    }

    enum CodingKeys: String, CodingKey { case campaignID = "campaignId", budget }

    public var event: CampaignEvent { .campaignBudgetChanged(self) }
}

/// The campaign's flight was moved. `campaign.flight-changed` v1.
public struct CampaignFlightChanged: CampaignEventPayload {
    public static let eventType = "campaign.flight-changed"
    public static let schemaVersion = 1

    public var campaignID: CampaignID
    public var flight: Flight

    public init(campaignID: CampaignID, flight: Flight) {
        self.campaignID = campaignID
        self.flight = flight
    }

    enum CodingKeys: String, CodingKey { case campaignID = "campaignId", flight }

    public var event: CampaignEvent { .campaignFlightChanged(self) }
}

/// A draft campaign went live. `campaign.activated` v1.
public struct CampaignActivated: CampaignEventPayload {
    public static let eventType = "campaign.activated"
    public static let schemaVersion = 1

    public var campaignID: CampaignID

    public init(campaignID: CampaignID) { self.campaignID = campaignID }

    enum CodingKeys: String, CodingKey { case campaignID = "campaignId" }

    public var event: CampaignEvent { .campaignActivated(self) }
}

/// An active campaign stopped delivering until resumed. `campaign.paused` v1.
public struct CampaignPaused: CampaignEventPayload {
    public static let eventType = "campaign.paused"
    public static let schemaVersion = 1

    public var campaignID: CampaignID

    public init(campaignID: CampaignID) { self.campaignID = campaignID }

    enum CodingKeys: String, CodingKey { case campaignID = "campaignId" }

    public var event: CampaignEvent { .campaignPaused(self) }
}

/// A paused campaign went live again. `campaign.resumed` v1.
public struct CampaignResumed: CampaignEventPayload {
    public static let eventType = "campaign.resumed"
    public static let schemaVersion = 1

    public var campaignID: CampaignID

    public init(campaignID: CampaignID) { self.campaignID = campaignID }

    enum CodingKeys: String, CodingKey { case campaignID = "campaignId" }

    public var event: CampaignEvent { .campaignResumed(self) }
}

/// The campaign was called off for good. `campaign.cancelled` v1.
public struct CampaignCancelled: CampaignEventPayload {
    public static let eventType = "campaign.cancelled"
    public static let schemaVersion = 1

    public var campaignID: CampaignID

    public init(campaignID: CampaignID) { self.campaignID = campaignID }

    enum CodingKeys: String, CodingKey { case campaignID = "campaignId" }

    public var event: CampaignEvent { .campaignCancelled(self) }
}

/// The campaign's flight is over, so it ended for good. `campaign.ended` v1.
public struct CampaignEnded: CampaignEventPayload {
    public static let eventType = "campaign.ended"
    public static let schemaVersion = 1

    public var campaignID: CampaignID
    /// When the end was decided (at or after the flight's end).
    public var endedAt: Timestamp

    public init(campaignID: CampaignID, endedAt: Timestamp) {
        self.campaignID = campaignID
        self.endedAt = endedAt
    }

    enum CodingKeys: String, CodingKey { case campaignID = "campaignId", endedAt }

    public var event: CampaignEvent { .campaignEnded(self) }
}

// What callers ask of a campaign. Commands hold raw values from clients: `decide` checks them
// and names the offending field, as a JSON path relative to the command's payload.

/// What every command carries besides its payload. The domain never reads a clock: the
/// command's time arrives here, so a decision replays the same way on any day.
public struct CommandContext: Hashable, Sendable {
    /// When the command was issued; flight rules are judged against it.
    public var issuedAt: Timestamp
    /// Who issued it. The domain does not judge it; the event store records it.
    public var actor: String
    /// The flight slack and the limits the command is held to.
    public var rules: BookingRules
    /// Who holds each track the command promotes, as the track catalog (`TrackAssigned`)
    /// says; a track missing here is held by no one, so no campaign may promote it.
    public var trackHolders: [TrackID: OwnerID]
    /// How many open campaigns each owner has before the command (missing: none); nil when
    /// the caller cannot count them (a generator of synthetic logs), and the limit is not checked.
    public var openCampaigns: [OwnerID: Int]?

    public init(
        issuedAt: Timestamp, actor: String, rules: BookingRules = .standard, trackHolders: [TrackID: OwnerID] = [:],
        openCampaigns: [OwnerID: Int]? = nil
    ) {
        self.issuedAt = issuedAt
        self.actor = actor
        self.rules = rules
        self.trackHolders = trackHolders
        self.openCampaigns = openCampaigns
    }
}

/// One request to change one campaign.
public enum CampaignCommand: Hashable, Sendable {
    case create(CreateCampaign)
    case changeBudget(ChangeBudget)
    case changeFlight(ChangeFlight)
    case activate(CampaignID)
    case pause(CampaignID)
    case resume(CampaignID)
    case cancel(CampaignID)
    /// Ends a campaign whose flight is over; a scheduler issues it.
    case end(CampaignID)
    case addSubcampaign(AddSubcampaign)
    case changeTargeting(ChangeTargeting)
    case changePrice(ChangePrice)
    case changeBudgetBounds(ChangeBudgetBounds)
    case pauseSubcampaign(CampaignID, SubcampaignID)
    case resumeSubcampaign(CampaignID, SubcampaignID)
    case removeSubcampaign(CampaignID, SubcampaignID)
    case reportDelivery(ReportDelivery)

    /// The tracks the command would promote: what the track catalog is asked about.
    public var promotedTracks: Set<TrackID> {
        guard case .addSubcampaign(let command) = self, case .track(let track) = command.subcampaign.promotedItem else { return [] }
        return [track]
    }

    public var campaignID: CampaignID {
        switch self {
        case .create(let command): command.campaignID
        case .changeBudget(let command): command.campaignID
        case .changeFlight(let command): command.campaignID
        case .activate(let id), .pause(let id), .resume(let id), .cancel(let id), .end(let id): id
        case .addSubcampaign(let command): command.campaignID
        case .changeTargeting(let command): command.campaignID
        case .changePrice(let command): command.campaignID
        case .changeBudgetBounds(let command): command.campaignID
        case .pauseSubcampaign(let id, _), .resumeSubcampaign(let id, _), .removeSubcampaign(let id, _): id
        case .reportDelivery(let command): command.campaignID
        }
    }
}

/// Book a new campaign, as a draft. Field paths: `name`, `budget.amountMinor`, `flight.end` ….
public struct CreateCampaign: Hashable, Sendable {
    public var campaignID: CampaignID
    public var ownerID: OwnerID
    /// 1 to 200 Unicode code points, not blank, no control characters.
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
}

/// Set a new budget, in the campaign's currency. Field paths: `budget.…`.
public struct ChangeBudget: Hashable, Sendable {
    public var campaignID: CampaignID
    public var budget: Money

    public init(campaignID: CampaignID, budget: Money) {
        self.campaignID = campaignID
        self.budget = budget
    }
}

/// Move the flight. Field paths: `flight.…`.
public struct ChangeFlight: Hashable, Sendable {
    public var campaignID: CampaignID
    public var flight: Flight

    public init(campaignID: CampaignID, flight: Flight) {
        self.campaignID = campaignID
        self.flight = flight
    }
}

/// A subcampaign to add, on its own or inside a bulk buy. Field paths: `id`,
/// `targeting.markets[1]`, `pricing.amountMinor`, `shareBounds.minimumBasisPoints`.
public struct NewSubcampaign: Hashable, Sendable {
    public var id: SubcampaignID
    public var targeting: Targeting
    public var pricing: Pricing
    public var shareBounds: ShareBounds
    public var promotedItem: PromotedItem

    public init(
        id: SubcampaignID, targeting: Targeting, pricing: Pricing, shareBounds: ShareBounds = .unbounded,
        promotedItem: PromotedItem
    ) {
        self.id = id
        self.targeting = targeting
        self.pricing = pricing
        self.shareBounds = shareBounds
        self.promotedItem = promotedItem
    }
}

/// Add a subcampaign to an existing campaign. Field paths are those of `NewSubcampaign`.
public struct AddSubcampaign: Hashable, Sendable {
    public var campaignID: CampaignID
    public var subcampaign: NewSubcampaign

    public init(campaignID: CampaignID, subcampaign: NewSubcampaign) {
        self.campaignID = campaignID
        self.subcampaign = subcampaign
    }
}

/// Replace a subcampaign's targeting. Field paths: `subcampaignId`, `targeting.…`.
public struct ChangeTargeting: Hashable, Sendable {
    public var campaignID: CampaignID
    public var subcampaignID: SubcampaignID
    public var targeting: Targeting

    public init(campaignID: CampaignID, subcampaignID: SubcampaignID, targeting: Targeting) {
        self.campaignID = campaignID
        self.subcampaignID = subcampaignID
        self.targeting = targeting
    }
}

/// Replace a subcampaign's price. Field paths: `subcampaignId`, `pricing.…`.
public struct ChangePrice: Hashable, Sendable {
    public var campaignID: CampaignID
    public var subcampaignID: SubcampaignID
    public var pricing: Pricing

    public init(campaignID: CampaignID, subcampaignID: SubcampaignID, pricing: Pricing) {
        self.campaignID = campaignID
        self.subcampaignID = subcampaignID
        self.pricing = pricing
    }
}

/// Replace a subcampaign's bounds on its budget share. Field paths: `subcampaignId`, `shareBounds.…`.
public struct ChangeBudgetBounds: Hashable, Sendable {
    public var campaignID: CampaignID
    public var subcampaignID: SubcampaignID
    public var shareBounds: ShareBounds

    public init(campaignID: CampaignID, subcampaignID: SubcampaignID, shareBounds: ShareBounds) {
        self.campaignID = campaignID
        self.subcampaignID = subcampaignID
        self.shareBounds = shareBounds
    }
}

/// Record what the delivery side served. Field paths are those of `DeliveryReport`:
/// `clicks`, `spend.currency`, `subcampaignId` ….
public struct ReportDelivery: Hashable, Sendable {
    public var campaignID: CampaignID
    public var report: DeliveryReport

    public init(campaignID: CampaignID, report: DeliveryReport) {
        self.campaignID = campaignID
        self.report = report
    }
}

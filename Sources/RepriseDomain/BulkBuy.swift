/// One campaign of a bulk buy: the campaign, its subcampaigns, and whether to go live at once.
///
/// Field paths in a rejection are relative to the bulk request: the campaign's own fields sit
/// in the item (`items[3].budget.amountMinor`), its subcampaigns under `items[3].subcampaigns[1]`.
public struct CreateCampaignWithSubcampaigns: Hashable, Sendable {
    public var campaign: CreateCampaign
    public var subcampaigns: [NewSubcampaign]
    /// Activate the campaign after its subcampaigns are added.
    public var activate: Bool

    public init(campaign: CreateCampaign, subcampaigns: [NewSubcampaign], activate: Bool = false) {
        self.campaign = campaign
        self.subcampaigns = subcampaigns
        self.activate = activate
    }

    /// The tracks the item's subcampaigns would promote.
    public var promotedTracks: Set<TrackID> {
        Set(subcampaigns.compactMap { subcampaign in
            guard case .track(let track) = subcampaign.promotedItem else { return nil }
            return track
        })
    }
}

/// Why a bulk buy was refused as a whole: every failing item, by its index in the request.
public struct BulkBuyRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// One failing item and the first thing wrong with it.
    public struct Failure: Sendable, Equatable {
        public var index: Int
        public var error: DomainError

        public init(index: Int, error: DomainError) {
            self.index = index
            self.error = error
        }
    }

    public var failures: [Failure]

    public init(failures: [Failure]) { self.failures = failures }

    public var description: String {
        "bulk buy rejected: " + failures.map { "items[\($0.index)]: \($0.error)" }.joined(separator: "; ")
    }
}

/// Books many campaigns at once, all or nothing.
public enum BulkBuy {
    /// The events that book one campaign, for its own stream.
    public struct BookedCampaign: Hashable, Sendable {
        public var campaignID: CampaignID
        public var streamID: String
        public var events: [CampaignEvent]
    }

    /// The events for every item, in item order, or a rejection naming every failing item.
    /// `existing` says whether a campaign id is already taken in the event store.
    public static func decide(
        _ items: [CreateCampaignWithSubcampaigns], existing: (CampaignID) -> Bool, context: CommandContext
    ) throws(BulkBuyRejection) -> [BookedCampaign] {
        var booked: [BookedCampaign] = []
        var failures: [BulkBuyRejection.Failure] = []
        var firstIndexByID: [CampaignID: Int] = [:]
        // Each item booked counts towards its owner's open campaigns for the items after it.
        var context = context
        for (index, item) in items.enumerated() {
            let id = item.campaign.campaignID
            if let first = firstIndexByID[id] {
                failures.append(.init(index: index, error: DomainError(
                    .duplicateCampaignInBulkBuy, field: "items[\(index)].campaignId",
                    "campaign \(id) is already booked by items[\(first)] of this bulk buy"
                )))
                continue
            }
            firstIndexByID[id] = index
            do {
                booked.append(try book(item, exists: existing(id), context: context))
                context.openCampaigns?[item.campaign.ownerID, default: 0] += 1
            } catch {
                failures.append(.init(index: index, error: error.at("items[\(index)]")))
            }
        }
        guard failures.isEmpty else { throw BulkBuyRejection(failures: failures) }
        return booked
    }

    /// Decides one item exactly as the separate commands would be decided, one after another.
    private static func book(
        _ item: CreateCampaignWithSubcampaigns, exists: Bool, context: CommandContext
    ) throws(DomainError) -> BookedCampaign {
        let id = item.campaign.campaignID
        guard !exists else {
            throw DomainError(.campaignAlreadyExists, field: "campaignId", "campaign \(id) already exists")
        }
        var events: [CampaignEvent] = []
        var state: Campaign? = nil
        func run(_ command: CampaignCommand) throws(DomainError) {
            let new = try Campaign.decide(command, state: state, context: context)
            events += new
            for event in new { Campaign.apply(event, to: &state) }
        }
        try run(.create(item.campaign))
        for (index, subcampaign) in item.subcampaigns.enumerated() {
            try inField("subcampaigns[\(index)]") { () throws(DomainError) in
                try run(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: subcampaign)))
            }
        }
        if item.activate {
            try inField("activate") { () throws(DomainError) in try run(.activate(id)) }
        }
        return BookedCampaign(campaignID: id, streamID: Campaign.streamID(for: id), events: events)
    }
}

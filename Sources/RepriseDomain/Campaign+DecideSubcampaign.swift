// Deciding the subcampaign commands. Removed subcampaigns stay in the state (their delivery
// counts) but are "not found" to every command, and their ids are never reused.

extension Campaign {
    func decideAddSubcampaign(_ new: NewSubcampaign, context: CommandContext) throws(DomainError) -> [CampaignEvent] {
        if let existing = subcampaigns.first(where: { $0.id == new.id }) {
            let note = existing.status == .removed ? " (removed; ids are never reused)" : ""
            throw DomainError(.subcampaignAlreadyExists, field: "id", "subcampaign \(new.id) already exists\(note)")
        }
        guard subcampaigns.count < context.rules.maxSubcampaignsPerCampaign else {
            throw DomainError(
                .tooManySubcampaigns, field: "id",
                "campaign \(id) has \(subcampaigns.count) subcampaigns (removed ones count); the limit is \(context.rules.maxSubcampaignsPerCampaign)"
            )
        }
        let targeting = try inField("targeting") { () throws(DomainError) in try new.targeting.checked(rules: context.rules) }
        if case .track(let track) = new.promotedItem, context.trackHolders[track] != ownerID {
            // Names only this campaign's owner: who else holds the track is not the caller's business.
            throw DomainError(.trackNotHeld, field: "promotedItem.id", "owner \(ownerID) does not hold track \(track) in the track catalog")
        }
        try inField("pricing") { () throws(DomainError) in try new.pricing.check() }
        try inField("shareBounds") { () throws(DomainError) in try new.shareBounds.check() }
        try checkReservedShares(with: new.shareBounds, replacing: nil)
        return [.subcampaignAdded(SubcampaignAdded(
            campaignID: id, subcampaignID: new.id, targeting: targeting, pricing: new.pricing,
            shareBounds: new.shareBounds, promotedItem: new.promotedItem
        ))]
    }

    func decideChangeTargeting(_ command: ChangeTargeting, context: CommandContext) throws(DomainError) -> [CampaignEvent] {
        let subcampaign = try live(command.subcampaignID)
        let targeting = try inField("targeting") { () throws(DomainError) in try command.targeting.checked(rules: context.rules) }
        guard targeting != subcampaign.targeting else { return [] }
        return [.subcampaignTargetingChanged(SubcampaignTargetingChanged(
            campaignID: id, subcampaignID: subcampaign.id, targeting: targeting
        ))]
    }

    func decideChangePrice(_ command: ChangePrice) throws(DomainError) -> [CampaignEvent] {
        let subcampaign = try live(command.subcampaignID)
        try inField("pricing") { () throws(DomainError) in try command.pricing.check() }
        guard command.pricing != subcampaign.pricing else { return [] }
        return [.subcampaignPriceChanged(SubcampaignPriceChanged(
            campaignID: id, subcampaignID: subcampaign.id, pricing: command.pricing
        ))]
    }

    func decideChangeBudgetBounds(_ command: ChangeBudgetBounds) throws(DomainError) -> [CampaignEvent] {
        let subcampaign = try live(command.subcampaignID)
        try inField("shareBounds") { () throws(DomainError) in try command.shareBounds.check() }
        try checkReservedShares(with: command.shareBounds, replacing: subcampaign)
        guard command.shareBounds != subcampaign.shareBounds else { return [] }
        return [.subcampaignBudgetBoundsChanged(SubcampaignBudgetBoundsChanged(
            campaignID: id, subcampaignID: subcampaign.id, shareBounds: command.shareBounds
        ))]
    }

    func decidePauseSubcampaign(_ subcampaignID: SubcampaignID) throws(DomainError) -> [CampaignEvent] {
        let subcampaign = try live(subcampaignID)
        try subcampaign.requireStatus(.active, toPerform: "pause")
        return [.subcampaignPaused(SubcampaignPaused(campaignID: id, subcampaignID: subcampaignID))]
    }

    func decideResumeSubcampaign(_ subcampaignID: SubcampaignID) throws(DomainError) -> [CampaignEvent] {
        let subcampaign = try live(subcampaignID)
        try subcampaign.requireStatus(.paused, toPerform: "resume")
        return [.subcampaignResumed(SubcampaignResumed(campaignID: id, subcampaignID: subcampaignID))]
    }

    func decideRemoveSubcampaign(_ subcampaignID: SubcampaignID) throws(DomainError) -> [CampaignEvent] {
        _ = try live(subcampaignID)
        return [.subcampaignRemoved(SubcampaignRemoved(campaignID: id, subcampaignID: subcampaignID))]
    }

    /// The subcampaign a command names, or `subcampaignNotFound` if it was never added or is removed.
    func live(_ subcampaignID: SubcampaignID, field: String = "subcampaignId") throws(DomainError) -> Subcampaign {
        guard let subcampaign = liveSubcampaign(subcampaignID) else {
            let removed = subcampaigns.contains { $0.id == subcampaignID }
            throw DomainError(
                .subcampaignNotFound, field: field,
                "subcampaign \(subcampaignID) \(removed ? "was removed from" : "does not exist in") campaign \(id)"
            )
        }
        return subcampaign
    }

    /// Minimum shares are promises: together they may not exceed the whole budget (10 000 bp).
    private func checkReservedShares(with bounds: ShareBounds, replacing old: Subcampaign?) throws(DomainError) {
        let others = reservedShareBasisPoints - (old?.shareBounds.reservedBasisPoints ?? 0)
        let total = others + bounds.reservedBasisPoints
        guard total <= ShareBounds.wholeBudgetBasisPoints else {
            throw DomainError(
                .minimumSharesExceedBudget, field: "shareBounds.minimumBasisPoints",
                "minimum shares would add up to \(total) bp of the budget (\(others) bp already promised to other subcampaigns); at most 10000 bp fit"
            )
        }
    }
}

extension Subcampaign {
    fileprivate func requireStatus(_ required: SubcampaignStatus, toPerform action: String) throws(DomainError) {
        guard status == required else {
            throw DomainError(
                .invalidStatusTransition, field: "subcampaignId",
                "cannot \(action) subcampaign \(id): it is \(status), and only a \(required) subcampaign can be told to \(action)"
            )
        }
    }
}

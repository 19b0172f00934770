// Applying events. `evolve` trusts its events, because `decide` checked them before they were
// stored: it never rejects one. An event that cannot apply (it names a missing subcampaign,
// which only a stream written by something else could hold) still counts towards `version`
// but changes nothing else, so replay is total and never traps.

extension Campaign {
    /// The campaign after `event`; nil until a `campaign.created` event has been applied.
    public static func evolve(_ state: Campaign?, _ event: CampaignEvent) -> Campaign? {
        var state = state
        apply(event, to: &state)
        return state
    }

    /// `evolve`, in place. Replays use it: a fold through `evolve` would copy the growing
    /// state (its report digests above all) once per event, which is quadratic.
    public static func apply(_ event: CampaignEvent, to state: inout Campaign?) {
        guard state != nil else {
            if case .campaignCreated(let created) = event { state = Campaign(created: created) }
            return
        }
        state?.apply(event)
        state?.version += 1
    }

    /// The campaign that `events` describe, in order; nil if they never created it.
    public static func replay(_ events: some Sequence<CampaignEvent>) -> Campaign? {
        var state: Campaign? = nil
        for event in events { apply(event, to: &state) }
        return state
    }

    private mutating func apply(_ event: CampaignEvent) {
        switch event {
        case .campaignCreated:
            break  // A second creation cannot be decided; see the note at the top.
        case .campaignBudgetChanged(let event):
            budget = event.budget
        case .campaignFlightChanged(let event):
            flight = event.flight
        case .campaignActivated, .campaignResumed:
            status = .active
        case .campaignPaused:
            status = .paused
        case .campaignCancelled:
            status = .cancelled
        case .campaignEnded(let event):
            status = .ended
            endedAt = event.endedAt
        case .subcampaignAdded(let event):
            subcampaigns.append(Subcampaign(
                id: event.subcampaignID, targeting: event.targeting, pricing: event.pricing,
                shareBounds: event.shareBounds, promotedItem: event.promotedItem
            ))
        case .subcampaignTargetingChanged(let event):
            updateSubcampaign(event.subcampaignID) { $0.targeting = event.targeting }
        case .subcampaignPriceChanged(let event):
            updateSubcampaign(event.subcampaignID) { $0.pricing = event.pricing }
        case .subcampaignBudgetBoundsChanged(let event):
            updateSubcampaign(event.subcampaignID) { $0.shareBounds = event.shareBounds }
        case .subcampaignPaused(let event):
            updateSubcampaign(event.subcampaignID) { $0.status = .paused }
        case .subcampaignResumed(let event):
            updateSubcampaign(event.subcampaignID) { $0.status = .active }
        case .subcampaignRemoved(let event):
            updateSubcampaign(event.subcampaignID) { $0.status = .removed }
        case .deliveryReported(let event):
            let report = event.report
            deliveryReportDigests[report.reportID] = report.contentDigest
            spent.amountMinor = spent.amountMinor.saturatingAdd(report.spend.amountMinor)
            updateSubcampaign(report.subcampaignID) { $0.delivered = $0.delivered.adding(report) }
        }
    }

    private mutating func updateSubcampaign(_ id: SubcampaignID, _ change: (inout Subcampaign) -> Void) {
        guard let index = subcampaigns.firstIndex(where: { $0.id == id }) else { return }
        change(&subcampaigns[index])
    }
}

import Foundation
import RepriseDomain

/// One campaign as the score projection keeps it: only what `scores(at:)` reads.
///
/// The projector stores it as JSON between events, so it is a plain value whose encoding
/// round-trips exactly: no dictionaries, subcampaigns in the order they were added, markets
/// and surfaces sorted. `canonicalJSON` is the one byte form to hash.
public struct ScoringCampaign: Codable, Equatable, Sendable {
    public var campaignID: CampaignID
    public var status: CampaignStatus
    public var flight: Flight
    public var budget: Money
    /// The sum of spend over every delivery report, in the budget's currency.
    public var spentMinor: Int64
    /// Every subcampaign ever added, removed ones included (their ids are never reused),
    /// in the order they were added.
    public var subcampaigns: [ScoringSubcampaign]

    public init(
        campaignID: CampaignID, status: CampaignStatus, flight: Flight, budget: Money, spentMinor: Int64,
        subcampaigns: [ScoringSubcampaign]
    ) {
        self.campaignID = campaignID
        self.status = status
        self.flight = flight
        self.budget = budget
        self.spentMinor = spentMinor
        self.subcampaigns = subcampaigns
    }

    /// The state a `campaign.created` event starts; nil for every other event.
    public init?(_ event: CampaignEvent) {
        guard case .campaignCreated(let created) = event else { return nil }
        self.init(
            campaignID: created.campaignID, status: .draft, flight: created.flight, budget: created.budget,
            spentMinor: 0, subcampaigns: []
        )
    }

    /// The scoring view of a replayed campaign; equal to folding `apply` over the same events.
    public init(_ campaign: Campaign) {
        self.init(
            campaignID: campaign.id, status: campaign.status, flight: campaign.flight, budget: campaign.budget,
            spentMinor: campaign.spent.amountMinor,
            subcampaigns: campaign.subcampaigns.map { subcampaign in
                ScoringSubcampaign(
                    id: subcampaign.id, status: subcampaign.status, promotedItem: subcampaign.promotedItem,
                    targeting: subcampaign.targeting,
                    maximumShareBasisPoints: subcampaign.shareBounds.maximumBasisPoints,
                    spentMinor: subcampaign.delivered.spendMinor
                )
            }
        )
    }

    enum CodingKeys: String, CodingKey {
        case campaignID = "campaignId", status, flight, budget, spentMinor, subcampaigns
    }

    /// The state after `event`, as `Campaign.evolve` would change it.
    ///
    /// Like `evolve`, it trusts the event (`decide` checked it before it was stored), so it
    /// never fails: an event naming a missing subcampaign, a second `campaign.created`, or an
    /// event of another campaign (a misrouted one) changes nothing.
    public mutating func apply(_ event: CampaignEvent) {
        guard event.campaignID == campaignID else { return }
        switch event {
        case .campaignCreated:
            break
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
        case .campaignEnded:
            status = .ended
        case .subcampaignAdded(let event):
            subcampaigns.append(ScoringSubcampaign(
                id: event.subcampaignID, status: .active, promotedItem: event.promotedItem, targeting: event.targeting,
                maximumShareBasisPoints: event.shareBounds.maximumBasisPoints, spentMinor: 0
            ))
        case .subcampaignTargetingChanged(let event):
            updateSubcampaign(event.subcampaignID) { $0.target(event.targeting) }
        case .subcampaignPriceChanged:
            break  // The price steers allocation, not the score.
        case .subcampaignBudgetBoundsChanged(let event):
            updateSubcampaign(event.subcampaignID) { $0.maximumShareBasisPoints = event.shareBounds.maximumBasisPoints }
        case .subcampaignPaused(let event):
            updateSubcampaign(event.subcampaignID) { $0.status = .paused }
        case .subcampaignResumed(let event):
            updateSubcampaign(event.subcampaignID) { $0.status = .active }
        case .subcampaignRemoved(let event):
            updateSubcampaign(event.subcampaignID) { $0.status = .removed }
        case .deliveryReported(let event):
            let spend = event.report.spend.amountMinor
            spentMinor = spentMinor.saturatingAdd(spend)
            updateSubcampaign(event.report.subcampaignID) { $0.spentMinor = $0.spentMinor.saturatingAdd(spend) }
        }
    }

    private mutating func updateSubcampaign(_ id: SubcampaignID, _ change: (inout ScoringSubcampaign) -> Void) {
        // The first with this id, as `Campaign.evolve` does: ids are never reused.
        guard let index = subcampaigns.firstIndex(where: { $0.id == id }) else { return }
        change(&subcampaigns[index])
    }

    // MARK: Stored form

    /// The JSON to store and hash: sorted keys, compact, `/` unescaped. The same state always
    /// gives the same bytes, and bytes read back through `init(canonicalJSON:)` give them again.
    public var canonicalJSON: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(self))
        } catch {
            // Strings, integers and arrays of them always encode; an error is a bug here.
            preconditionFailure("scoring state failed to encode: \(error)")
        }
    }

    /// A state read back from its stored JSON (jsonb may reorder keys; that is fine).
    public init(canonicalJSON bytes: [UInt8]) throws(ScoringError) {
        do {
            self = try JSONDecoder().decode(ScoringCampaign.self, from: Data(bytes))
        } catch {
            throw ScoringError(.malformedState, "stored scoring state is not valid: \(error)")
        }
    }
}

extension Int64 {
    /// Sums saturate instead of trapping: `decide` refuses a report that would overflow, so
    /// saturation only guards replay of a foreign stream.
    fileprivate func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}

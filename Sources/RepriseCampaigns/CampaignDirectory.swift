import RepriseDomain
import RepriseEventLog
import Synchronization

/// One line of a campaign list.
public struct CampaignSummary: Sendable, Equatable, Encodable {
    public let campaignId: CampaignID
    public let ownerId: OwnerID
    public let name: String
    public let status: CampaignStatus
    public let version: Int
}

/// A page of campaigns in id order, and the id to pass as `after` for the next one.
public struct CampaignPage: Sendable, Equatable, Encodable {
    public let items: [CampaignSummary]
    public let nextAfter: CampaignID?
}

/// Campaigns by owner and status: an in-memory read model of the log.
///
/// Every query first catches up with the log up to the moment it began (`LogCatchUp`), so a
/// caller sees every command that was acknowledged before it asked. The model lives in this
/// process and is rebuilt from the log when the process starts; a shared, persistent
/// projection replaces it once the projectors exist.
public final class CampaignDirectory: Sendable {
    private struct State {
        var cursor: LogCursor?
        var campaigns: [CampaignID: Campaign] = [:]
    }

    private let store: any EventStore
    private let state = Mutex(State())

    public init(store: any EventStore) {
        self.store = store
    }

    /// Campaigns whose owner is in `owners` (nil: any) and whose status is `status` (nil:
    /// any), in id order after `after`, at most `limit`.
    public func page(
        owners: Set<OwnerID>?, status: CampaignStatus?, after: CampaignID?, limit: Int
    ) async throws(CommandError) -> CampaignPage {
        try await catchUp()
        return state.withLock { state in
            let matching = state.campaigns.values
                .filter { owners?.contains($0.ownerID) ?? true }
                .filter { status == nil || $0.status == status }
                .filter { campaign in after.map { campaign.id > $0 } ?? true }
                .sorted { $0.id < $1.id }
            let items = matching.prefix(limit).map {
                CampaignSummary(campaignId: $0.id, ownerId: $0.ownerID, name: $0.name, status: $0.status, version: $0.version)
            }
            return CampaignPage(items: Array(items), nextAfter: matching.count > limit ? items.last?.campaignId : nil)
        }
    }

    private func catchUp() async throws(CommandError) {
        let start = state.withLock { $0.cursor }
        do {
            try await LogCatchUp.read(store, after: start) { events in
                try state.withLock { state throws(CommandError) in
                    // Two queries may catch up at once: each event is applied once, in order.
                    for recorded in events where state.cursor.map({ recorded.cursor > $0 }) ?? true {
                        state.cursor = recorded.cursor
                        guard let id = Campaign.campaignID(fromStreamID: recorded.streamID.rawValue) else { continue }
                        let event: CampaignEvent
                        do {
                            event = try EventCodec.decode(type: recorded.type, schemaVersion: recorded.schemaVersion, data: recorded.data)
                        } catch {
                            throw CommandError(.unreadableHistory, "event \(recorded.eventID) cannot be read: \(error)")
                        }
                        var campaign = state.campaigns[id]
                        Campaign.apply(event, to: &campaign)
                        state.campaigns[id] = campaign
                    }
                }
                return .more
            }
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError(.unavailable, "\(error)")
        }
    }
}

import RepriseDomain
import Synchronization

/// The last state this process appended for each campaign, so the next command on it need
/// not read and replay its whole history.
///
/// It is only a guess: another process may have appended since. The append that follows
/// carries the cached version as its exact expectation, so a stale entry makes that append
/// fail with a version conflict, the entry is dropped, and the command is decided again on
/// the history read from the store. Bounded: when full it starts over empty.
final class CampaignStateCache: Sendable {
    private let entries = Mutex<[CampaignID: (campaign: Campaign, version: Int)]>([:])
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func get(_ id: CampaignID) -> (Campaign, Int)? {
        entries.withLock { $0[id].map { ($0.campaign, $0.version) } }
    }

    func put(_ campaign: Campaign, version: Int) {
        entries.withLock { entries in
            if entries.count >= capacity, entries[campaign.id] == nil { entries.removeAll(keepingCapacity: true) }
            entries[campaign.id] = (campaign, version)
        }
    }

    func drop(_ id: CampaignID) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }
}

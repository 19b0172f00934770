import RepriseDomain
import RepriseEventLog

/// A stored event together with the domain event it decodes (and upcasts) to.
public struct CampaignHistoryEntry: Sendable {
    public let recorded: RecordedEvent
    public let event: CampaignEvent
}

/// Reads a campaign's stream and decodes it, in pages, oldest first.
public struct CampaignHistoryReader: Sendable {
    private let store: any EventStore
    private let pageSize = 1_000

    public init(store: any EventStore) {
        self.store = store
    }

    public func events(of campaignID: CampaignID) async throws(CommandError) -> [CampaignHistoryEntry] {
        try await events(of: StreamID(Campaign.streamID(for: campaignID)))
    }

    /// Every event after version `after` (0: the whole stream).
    func events(of streamID: StreamID, after: Int = 0) async throws(CommandError) -> [CampaignHistoryEntry] {
        var entries: [CampaignHistoryEntry] = []
        var next = after + 1
        while true {
            let page = try await page(of: streamID, after: next - 1, limit: pageSize)
            entries += page
            guard page.count == pageSize, let last = page.last else { return entries }
            next = last.recorded.streamVersion + 1
        }
    }

    /// At most `limit` events after version `after`, oldest first.
    func page(of streamID: StreamID, after: Int, limit: Int) async throws(CommandError) -> [CampaignHistoryEntry] {
        let page: [RecordedEvent]
        do {
            page = try await store.readStream(streamID, from: .version(after + 1), direction: .forward, limit: limit)
        } catch {
            throw CommandError.store(error)
        }
        var entries: [CampaignHistoryEntry] = []
        for recorded in page {
            do {
                let event = try EventCodec.decode(type: recorded.type, schemaVersion: recorded.schemaVersion, data: recorded.data)
                entries.append(CampaignHistoryEntry(recorded: recorded, event: event))
            } catch {
                throw CommandError(
                    .unreadableHistory,
                    "event \(recorded.eventID) (\(streamID) version \(recorded.streamVersion)) cannot be read: \(error.message)"
                )
            }
        }
        return entries
    }
}

import Foundation
import RepriseDomain
import RepriseEventLog

/// A moment in a campaign's history.
public enum AuditMoment: Sendable, Equatable {
    /// As it stood at this time: every event recorded at or before it.
    case time(Timestamp)
    /// As it stood after this many of its events.
    case version(Int)
    /// As it stood at this place in the log's total order (inclusive).
    case logPosition(LogCursor)

    /// Reads a time (`2026-11-21T10:00:00Z`, or with an offset: `Timestamp.rfc3339(_:)`),
    /// `v12` / `12` (a version) or `123456:789` (a log position).
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let version = Int(trimmed.hasPrefix("v") ? String(trimmed.dropFirst()) : trimmed), version >= 0 {
            self = .version(version)
            return
        }
        let parts = trimmed.split(separator: ":")
        if parts.count == 2, let transaction = UInt64(parts[0]), let position = Int64(parts[1]) {
            self = .logPosition(LogCursor(transactionID: transaction, position: position))
            return
        }
        guard let time = try? Timestamp.rfc3339(trimmed) else { return nil }
        self = .time(time)
    }

    func includes(_ event: RecordedEvent) -> Bool {
        switch self {
        case .time(let time): event.recordedAtMicroseconds <= time.microsecondsSinceEpoch
        case .version(let version): event.streamVersion <= version
        case .logPosition(let cursor): event.cursor <= cursor
        }
    }
}

/// A campaign as it stood at a moment, and the last event that made it so.
public struct CampaignSnapshot: Sendable {
    public let campaign: Campaign
    public let version: Int
    public let lastEvent: RecordedEvent
}

/// What auditors read: a campaign's full history, and the campaign at any moment.
public struct CampaignAudit: Sendable {
    private let reader: CampaignHistoryReader

    public init(store: any EventStore) {
        self.reader = CampaignHistoryReader(store: store)
    }

    public func history(of campaignID: CampaignID) async throws(CommandError) -> [CampaignHistoryEntry] {
        try await reader.events(of: campaignID)
    }

    /// At most `limit` events of the campaign after version `after`, oldest first: one page.
    public func history(of campaignID: CampaignID, after: Int, limit: Int) async throws(CommandError) -> [CampaignHistoryEntry] {
        try await reader.page(of: StreamID(Campaign.streamID(for: campaignID)), after: after, limit: limit)
    }

    /// nil when the campaign did not exist at that moment.
    public func state(of campaignID: CampaignID, at moment: AuditMoment) async throws(CommandError) -> CampaignSnapshot? {
        let history = try await reader.events(of: campaignID)
        var state: Campaign?
        var last: RecordedEvent?
        for entry in history where moment.includes(entry.recorded) {
            Campaign.apply(entry.event, to: &state)
            last = entry.recorded
        }
        guard let state, let last else { return nil }
        return CampaignSnapshot(campaign: state, version: last.streamVersion, lastEvent: last)
    }
}

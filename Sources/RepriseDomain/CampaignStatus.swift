/// Where a campaign is in its life. `ended` and `cancelled` are final.
///
///     draft ──activate──▶ active ◀──resume/pause──▶ paused
///       │                   │                          │
///       └──────cancel / end (when the flight is over)──┴──▶ cancelled / ended
public enum CampaignStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case draft
    case active
    case paused
    case ended
    case cancelled

    /// A closed campaign accepts no command at all; its history is final.
    public var isClosed: Bool { self == .ended || self == .cancelled }
}

/// Where a subcampaign is in its life. A removed subcampaign keeps its delivery totals
/// but takes no commands, and its id is never reused.
public enum SubcampaignStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case active
    case paused
    case removed
}

/// What a campaign buys: listeners reached, clicks, or conversions (follows, saves, pre-saves).
public enum Objective: String, Hashable, Sendable, Codable, CaseIterable {
    case reach
    case clicks
    case conversions
}

/// How a campaign spreads its budget over the flight: evenly, or more of it early on.
public enum PacingMode: String, Hashable, Sendable, Codable, CaseIterable {
    case even
    case frontLoaded
}

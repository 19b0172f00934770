/// Why the scoring module refused its input.
public struct ScoringError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// A stable, snake_case reason.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Stored state that does not decode as a `ScoringCampaign`.
        public static let malformedState = Code("malformed_scoring_state")
        /// A stored row of the scores projection that does not read back.
        public static let unreadableRow = Code("unreadable_row")
        /// An event for a campaign the log never created.
        public static let campaignNeverCreated = Code("campaign_never_created")
    }
}

extension ScoringError {
    static func unreadableRow(_ key: String) -> ScoringError {
        ScoringError(.unreadableRow, "the stored rows of \(key) do not decode")
    }

    static func campaignNeverCreated(_ campaign: String, _ type: String) -> ScoringError {
        ScoringError(.campaignNeverCreated, "\(type) for campaign \(campaign), which was never created")
    }
}

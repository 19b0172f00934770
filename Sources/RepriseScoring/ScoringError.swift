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
    }
}

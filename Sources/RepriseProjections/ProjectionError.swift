/// Why a projection or its runtime failed.
public struct ProjectionError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The projector stopped at a poison event under the `stop` policy.
        public static let stoppedAtPoison = Code(rawValue: "stopped_at_poison")
        /// A rebuilt model differs from the live one.
        public static let verifyMismatch = Code(rawValue: "verify_mismatch")
        /// No projection of that name, or it was never started.
        public static let unknownProjection = Code(rawValue: "unknown_projection")
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "projection \(code): \(message)" }
}

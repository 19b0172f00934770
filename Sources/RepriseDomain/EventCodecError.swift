/// Why stored event data could not be read: an unknown type or version, or bad JSON.
public struct EventCodecError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Code
    public var type: String
    public var schemaVersion: Int
    public var message: String

    public init(_ code: Code, type: String, schemaVersion: Int, _ message: String) {
        self.code = code
        self.type = type
        self.schemaVersion = schemaVersion
        self.message = message
    }

    public var description: String { "\(code) for \(type) v\(schemaVersion): \(message)" }

    /// A stable, snake_case reason.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let unknownType = Code("unknown_event_type")
        public static let unknownSchemaVersion = Code("unknown_schema_version")
        public static let malformedData = Code("malformed_event_data")
    }
}

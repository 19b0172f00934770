/// Why the event store refused or failed; callers switch on `code`.
public struct EventStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A stream was not at the expected version; `actualVersion` says where it is.
        public static let wrongExpectedVersion = Code(rawValue: "wrong_expected_version")
        /// An append without events, or with events that are not JSON objects.
        public static let invalidAppend = Code(rawValue: "invalid_append")
        /// An event id that is already stored under another command.
        public static let duplicateEventID = Code(rawValue: "duplicate_event_id")
        /// The database could not be reached or failed; retrying may help.
        public static let unavailable = Code(rawValue: "unavailable")
    }

    public let code: Code
    public let message: String
    public let streamID: StreamID?
    public let expectedVersion: ExpectedVersion?
    /// With `.wrongExpectedVersion`: the stream's version at the time (0 when it has none).
    public let actualVersion: Int?

    public init(
        code: Code, message: String, streamID: StreamID? = nil,
        expectedVersion: ExpectedVersion? = nil, actualVersion: Int? = nil
    ) {
        self.code = code
        self.message = message
        self.streamID = streamID
        self.expectedVersion = expectedVersion
        self.actualVersion = actualVersion
    }

    public static func wrongExpectedVersion(_ streamID: StreamID, expected: ExpectedVersion, actual: Int) -> EventStoreError {
        EventStoreError(
            code: .wrongExpectedVersion,
            message: "stream \(streamID) is at version \(actual), not the expected \(expected)",
            streamID: streamID, expectedVersion: expected, actualVersion: actual
        )
    }

    public var description: String { message }
}

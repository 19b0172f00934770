import Foundation
import RepriseDomain

/// A stream's name, such as `campaign-c42`.
public struct StreamID: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// What a writer expects of a stream before its append; a mismatch is a conflict.
public enum ExpectedVersion: Sendable, Equatable {
    /// Append whatever the stream's version.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream must be at exactly this version (1 or more).
    case exactly(Int)

    /// The encoding the `reprise_append_batch` SQL function takes.
    public var sqlValue: Int {
        switch self {
        case .any: -1
        case .noStream: 0
        case .exactly(let version): version
        }
    }
}

/// An event about to be appended: the store adds stream version, time, hashes and position.
public struct NewEvent: Sendable, Equatable {
    public let eventID: UUID
    public let type: String
    public let schemaVersion: Int
    /// A JSON object.
    public let data: [UInt8]

    public init(eventID: UUID, type: String, schemaVersion: Int, data: [UInt8]) {
        self.eventID = eventID
        self.type = type
        self.schemaVersion = schemaVersion
        self.data = data
    }
}

/// Who caused an append and why; stored on every event of it.
public struct EventMetadata: Sendable, Equatable {
    public let correlationID: UUID
    public let causationID: UUID?
    public let actor: String

    public init(correlationID: UUID, causationID: UUID? = nil, actor: String) {
        self.correlationID = correlationID
        self.causationID = causationID
        self.actor = actor
    }
}

/// The events one command appends to one stream.
public struct StreamAppend: Sendable, Equatable {
    public let streamID: StreamID
    public let expectedVersion: ExpectedVersion
    public let events: [NewEvent]

    public init(streamID: StreamID, expectedVersion: ExpectedVersion, events: [NewEvent]) {
        self.streamID = streamID
        self.expectedVersion = expectedVersion
        self.events = events
    }
}

/// Everything one command appends: usually one stream, several for a bulk buy.
public struct AppendRequest: Sendable, Equatable {
    /// The idempotency key: a retried command carries the same id.
    public let commandID: String
    public let streams: [StreamAppend]
    public let metadata: EventMetadata
    /// With an idempotency key: the fingerprint of the request, recorded with the key in the
    /// append's transaction when the events are appended (`IdempotencyKeyStore`).
    public let requestFingerprint: String?

    public init(commandID: String, streams: [StreamAppend], metadata: EventMetadata, requestFingerprint: String? = nil) {
        self.commandID = commandID
        self.streams = streams
        self.metadata = metadata
        self.requestFingerprint = requestFingerprint
    }
}

/// What an append did to each stream.
public struct AppendResult: Sendable, Equatable, Codable {
    public struct Stream: Sendable, Hashable, Codable {
        public let streamID: StreamID
        public let previousVersion: Int
        public let version: Int

        public init(streamID: StreamID, previousVersion: Int, version: Int) {
            self.streamID = streamID
            self.previousVersion = previousVersion
            self.version = version
        }
    }

    public let streams: [Stream]
    public let eventCount: Int
    public let recordedAt: Date
    /// True when the command id had been seen: nothing was appended, and this is the
    /// first append's result.
    public var isDuplicate: Bool

    public init(streams: [Stream], eventCount: Int, recordedAt: Date, isDuplicate: Bool) {
        self.streams = streams
        self.eventCount = eventCount
        self.recordedAt = recordedAt
        self.isDuplicate = isDuplicate
    }
}

/// A position in the log's one stable total order: the writing transaction, then the
/// insert order inside it.
public struct LogCursor: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let transactionID: UInt64
    public let position: Int64

    public init(transactionID: UInt64, position: Int64) {
        self.transactionID = transactionID
        self.position = position
    }

    public static func < (lhs: LogCursor, rhs: LogCursor) -> Bool {
        (lhs.transactionID, lhs.position) < (rhs.transactionID, rhs.position)
    }

    public var description: String { "\(transactionID):\(position)" }
}

/// An event as stored.
public struct RecordedEvent: Sendable, Equatable {
    public let cursor: LogCursor
    public let eventID: UUID
    public let streamID: StreamID
    public let streamVersion: Int
    public let type: String
    public let schemaVersion: Int
    public let data: [UInt8]
    public let metadata: EventMetadata
    public let commandID: String
    /// Microseconds since the Unix epoch, exactly as stored (a `Date` would round).
    public let recordedAtMicroseconds: Int64
    public let previousHash: [UInt8]?
    public let hash: [UInt8]

    public init(
        cursor: LogCursor, eventID: UUID, streamID: StreamID, streamVersion: Int,
        type: String, schemaVersion: Int, data: [UInt8], metadata: EventMetadata, commandID: String,
        recordedAtMicroseconds: Int64, previousHash: [UInt8]?, hash: [UInt8]
    ) {
        self.cursor = cursor
        self.eventID = eventID
        self.streamID = streamID
        self.streamVersion = streamVersion
        self.type = type
        self.schemaVersion = schemaVersion
        self.data = data
        self.metadata = metadata
        self.commandID = commandID
        self.recordedAtMicroseconds = recordedAtMicroseconds
        self.previousHash = previousHash
        self.hash = hash
    }

    public var recordedAt: Date { Timestamp.date(microsecondsSinceEpoch: recordedAtMicroseconds) }
}

/// One page of the log and where the next one starts.
public struct LogPage: Sendable, Equatable {
    public let events: [RecordedEvent]
    /// Pass this to the next `readLog`; unchanged when the page is empty.
    public let cursor: LogCursor?

    public init(events: [RecordedEvent], cursor: LogCursor?) {
        self.events = events
        self.cursor = cursor
    }
}

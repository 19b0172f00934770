import NATS
import RepriseEventLog

/// Where the relay publishes and how it paces itself.
public struct RelayConfiguration: Sendable {
    /// The JetStream stream that holds the log: message N is event N.
    public var streamName: String
    /// Subjects are `<prefix>.<event type>`; the stream captures `<prefix>.>`.
    public var subjectPrefix: String
    /// Events numbered and published per round trip.
    public var batchSize: Int
    /// How long the relay sleeps without a notification before it looks anyway.
    public var pollInterval: Duration
    /// How often an idle relay checks that the stream still holds everything published.
    public var streamCheckInterval: Duration
    /// How long a standby waits between attempts to become the leader.
    public var leaderRetryInterval: Duration
    /// How long to wait for the acks of one batch.
    public var publishTimeout: Duration
    /// JetStream's duplicate window: a re-published event inside it is dropped by id.
    public var duplicateWindow: Duration
    /// How often a halted relay (the stream contradicts the log) checks the stream again.
    public var haltedRecheckInterval: Duration

    public init(
        streamName: String = "EVENTS",
        subjectPrefix: String = EventMessage.defaultSubjectPrefix,
        batchSize: Int = 1000,
        pollInterval: Duration = .seconds(1),
        streamCheckInterval: Duration = .seconds(5),
        leaderRetryInterval: Duration = .seconds(1),
        publishTimeout: Duration = .seconds(10),
        duplicateWindow: Duration = .seconds(300),
        haltedRecheckInterval: Duration = .seconds(5)
    ) {
        self.streamName = streamName
        self.subjectPrefix = subjectPrefix
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        self.streamCheckInterval = streamCheckInterval
        self.leaderRetryInterval = leaderRetryInterval
        self.publishTimeout = publishTimeout
        self.duplicateWindow = duplicateWindow
        self.haltedRecheckInterval = haltedRecheckInterval
    }

    /// The stream: file storage, nothing ever discarded, deleted or purged, so history is
    /// never dropped silently.
    public var streamConfiguration: StreamConfiguration {
        StreamConfiguration(
            name: streamName,
            subjects: [EventMessage.allEvents(prefix: subjectPrefix)],
            storage: .file,
            retention: .limits,
            discard: .new,
            duplicateWindow: duplicateWindow,
            denyDelete: true,
            denyPurge: true,
            allowDirect: true
        )
    }
}

/// Why the relay halted: the stream contradicts the log.
public struct RelayError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The stream holds more messages than Postgres has numbered events: Postgres lost
        /// numbered events (a restore?) or someone else publishes into the stream.
        public static let streamAhead = Code(rawValue: "stream_ahead")
        /// Message N of the stream is not event N of the log.
        public static let streamDiverged = Code(rawValue: "stream_diverged")
        /// An ack named another sequence than the event's: the stream is not the log.
        public static let unexpectedAck = Code(rawValue: "unexpected_ack")
        /// Postgres returned a batch that does not continue the stream: a numbering bug.
        public static let outOfOrder = Code(rawValue: "out_of_order")
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "relay \(code): \(message)" }
}

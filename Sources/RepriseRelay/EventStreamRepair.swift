import NATS
import Postgres
import RepriseEventLog
import RepriseEventStore

/// The operator's check and repair of the event stream (`reprise stream check|rebuild`).
///
/// The check asks what the relay asks at every start: does the stream end at or before the
/// log's numbering, and is its last message the log's event of that number? It decides
/// with the relay's own rules (`RelayPublishState`), so the two never disagree.
///
/// The rebuild deletes the stream and creates it empty. Postgres is the source of truth,
/// so nothing is lost: the relay, which re-checks a halted stream every few seconds, finds
/// it empty and publishes the whole log again, event N as message N. Projectors keep their
/// checkpoints in Postgres; their durable consumers go with the stream, and each creates
/// its consumer again after its checkpoint, so they neither skip nor re-apply an event.
public struct EventStreamRepair: Sendable {
    private let jetStream: JetStreamContext
    private let configuration: RelayConfiguration

    public init(jetStream: JetStreamContext, configuration: RelayConfiguration) {
        self.jetStream = jetStream
        self.configuration = configuration
    }

    public struct Check: Sendable {
        /// The stream's last sequence; nil when there is no stream.
        public var streamTail: UInt64?
        /// Events Postgres has numbered (the relay numbers before it publishes).
        public var numbered: UInt64
        /// nil when the stream is the log's prefix; else why the relay halts on it.
        public var contradiction: RelayError?
        /// What the relay last recorded.
        public var status: FanoutStatus?

        public var agrees: Bool { contradiction == nil }
    }

    public func check(on executor: some PostgresExecutor) async throws -> Check {
        let numbered = try await EventSequence.lastAssigned(on: executor)
        let status = try await FanoutStatus.read(on: executor)
        guard let tail = try await existingTail() else {
            return Check(streamTail: nil, numbered: numbered, contradiction: nil, status: status)
        }
        var state = RelayPublishState(configuration: configuration, now: .now)
        _ = state.start()
        do {
            if case .compareTail(let sequence) = try state.tailRead(lastSequence: tail, numbered: numbered, now: .now) {
                let message = try await jetStream.getMessage(stream: configuration.streamName, sequence: sequence)
                let event = try await EventSequence.read(after: sequence - 1, limit: 1, on: executor).first
                _ = try state.tailCompared(
                    streamEventID: EventMessage.eventID(in: message.headers), logEventID: event?.event.eventID.lowercasedText, now: .now
                )
            }
            return Check(streamTail: tail, numbered: numbered, contradiction: nil, status: status)
        } catch let error as RelayError {
            return Check(streamTail: tail, numbered: numbered, contradiction: error, status: status)
        }
    }

    /// Deletes the stream (if any) and creates it empty, for the relay to refill.
    public func rebuild() async throws {
        do {
            try await jetStream.deleteStream(name: configuration.streamName)
        } catch let error as NATSError where error.code == .streamNotFound || error.code == .notFound {}
        _ = try await jetStream.createStream(configuration.streamConfiguration)
    }

    /// The stream's last sequence now; 0 when there is no stream.
    public func streamTail() async throws -> UInt64 {
        try await existingTail() ?? 0
    }

    /// The stream's last sequence; nil when there is no stream.
    private func existingTail() async throws -> UInt64? {
        do {
            return try await jetStream.streamInfo(name: configuration.streamName).state.lastSequence
        } catch let error as NATSError where error.code == .streamNotFound || error.code == .notFound {
            return nil
        }
    }
}

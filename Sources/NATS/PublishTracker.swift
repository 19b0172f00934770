import Synchronization

/// The server's acknowledgement of one stored (or deduplicated) message.
public struct PublishAck: Sendable, Equatable {
    public var stream: String
    /// The stream sequence of the message; for a duplicate, that of the original.
    public var sequence: UInt64
    /// The server already had a message with this `Nats-Msg-Id` and dropped this one.
    public var duplicate: Bool
    public var messageID: String?

    public init(stream: String, sequence: UInt64, duplicate: Bool, messageID: String?) {
        self.stream = stream
        self.sequence = sequence
        self.duplicate = duplicate
        self.messageID = messageID
    }
}

/// An async publish that was not stored.
public struct PublishFailure: Sendable {
    public var messageID: String?
    public var subject: String
    public var error: NATSError

    public init(messageID: String?, subject: String, error: NATSError) {
        self.messageID = messageID
        self.subject = subject
        self.error = error
    }
}

/// What became of the async publishes since the previous `waitForPublishes`.
public struct PublishBatchResult: Sendable {
    /// In publish order.
    public var acks: [PublishAck]
    /// In publish order.
    public var failures: [PublishFailure]

    public init(acks: [PublishAck], failures: [PublishFailure]) {
        self.acks = acks
        self.failures = failures
    }

    public var allSucceeded: Bool { failures.isEmpty }
}

/// Records the outcome of each async publish as libnats' ack handler reports it.
///
/// Messages are known by their `natsMsg*` address while in flight; the address is
/// registered before the publish call and forgotten before the message is freed, so it is
/// unique for as long as it is in the table. The publish index keeps results in publish
/// order whatever order the acks arrive in.
final class PublishTracker: Sendable {
    private struct InFlight {
        var index: UInt64
        var subject: String
        var messageID: String?
    }

    private struct State {
        var nextIndex: UInt64 = 0
        var inFlight: [UInt: InFlight] = [:]
        var acks: [(index: UInt64, ack: PublishAck)] = []
        var failures: [(index: UInt64, failure: PublishFailure)] = []
    }

    private let state = Mutex(State())

    func register(_ key: UInt, subject: String, messageID: String?) {
        state.withLock { state in
            state.inFlight[key] = InFlight(index: state.nextIndex, subject: subject, messageID: messageID)
            state.nextIndex += 1
        }
    }

    /// The publish call itself failed; its error goes to the caller, not into the results.
    func forget(_ key: UInt) {
        _ = state.withLock { $0.inFlight.removeValue(forKey: key) }
    }

    func acknowledged(_ key: UInt, stream: String, sequence: UInt64, duplicate: Bool) {
        state.withLock { state in
            guard let entry = state.inFlight.removeValue(forKey: key) else { return }
            let ack = PublishAck(stream: stream, sequence: sequence, duplicate: duplicate, messageID: entry.messageID)
            state.acks.append((entry.index, ack))
        }
    }

    func failed(_ key: UInt, error: NATSError) {
        state.withLock { state in
            guard let entry = state.inFlight.removeValue(forKey: key) else { return }
            var error = error
            error.subject = error.subject ?? entry.subject
            let failure = PublishFailure(messageID: entry.messageID, subject: entry.subject, error: error)
            state.failures.append((entry.index, failure))
        }
    }

    func subject(of key: UInt) -> String? {
        state.withLock { $0.inFlight[key]?.subject }
    }

    /// Hands over everything recorded so far, in publish order, and starts a new batch.
    func takeResults() -> PublishBatchResult {
        let (acks, failures) = state.withLock { state in
            defer {
                state.acks = []
                state.failures = []
            }
            return (state.acks, state.failures)
        }
        return PublishBatchResult(
            acks: acks.sorted { $0.index < $1.index }.map(\.ack),
            failures: failures.sorted { $0.index < $1.index }.map(\.failure)
        )
    }
}

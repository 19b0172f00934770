internal import CNATS
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A message delivered by a JetStream consumer, with its delivery metadata.
///
/// Messages from a pull subscription must be acknowledged (`ack`, `nak`, `term`); messages
/// from an ordered consumer need no ack, and the ack methods do nothing for them.
public final class JetStreamMessage: Sendable {
    /// Where a message sits in its stream and consumer, and how often it was delivered.
    public struct Metadata: Sendable, Equatable {
        public var stream: String
        public var consumer: String
        public var streamSequence: UInt64
        public var consumerSequence: UInt64
        /// 1 on the first delivery, 2 after one redelivery, …
        public var numDelivered: UInt64
        /// Messages left in the stream for this consumer after this one.
        public var numPending: UInt64
        /// When the message was stored.
        public var timestamp: Date
    }

    public let subject: String
    public let payload: [UInt8]
    public let headers: [String: String]
    public let metadata: Metadata
    private let acknowledger: MessageAcknowledger?

    /// Copies the message out; keeps the `natsMsg` for acking only when `acknowledgeable`.
    init(adopting message: OpaquePointer, subscription: StoppableHandle, acknowledgeable: Bool) {
        subject = optionalString(natsMsg_GetSubject(message)) ?? ""
        payload = messagePayload(message)
        headers = messageHeaders(message)
        metadata = Self.metadata(of: message)
        if acknowledgeable {
            acknowledger = MessageAcknowledger(adopting: message, subscription: subscription)
        } else {
            acknowledger = nil
            natsMsg_Destroy(message)
        }
    }

    /// Done with it: the server will not deliver it again.
    public func ack() throws {
        try acknowledger?.perform("ack") { natsMsg_Ack($0, nil) }
    }

    /// Not processed: the server redelivers it, after `delay` if given.
    public func nak(delay: Duration? = nil) throws {
        try acknowledger?.perform("nak") { message in
            if let delay {
                natsMsg_NakWithDelay(message, delay.timeoutMilliseconds, nil)
            } else {
                natsMsg_Nak(message, nil)
            }
        }
    }

    /// Never to be processed: the server stops redelivering it.
    public func term() throws {
        try acknowledger?.perform("term") { natsMsg_Term($0, nil) }
    }

    /// Still working on it: restarts the server's ack-wait timer.
    public func inProgress() throws {
        try acknowledger?.perform("in-progress") { natsMsg_InProgress($0, nil) }
    }

    private static func metadata(of message: OpaquePointer) -> Metadata {
        var pointer: UnsafeMutablePointer<jsMsgMetaData>?
        guard natsMsg_GetMetaData(&pointer, message) == NATS_OK, let pointer else {
            return Metadata(
                stream: "", consumer: "", streamSequence: 0, consumerSequence: 0,
                numDelivered: 0, numPending: 0, timestamp: Date(timeIntervalSince1970: 0)
            )
        }
        defer { jsMsgMetaData_Destroy(pointer) }
        let data = pointer.pointee
        return Metadata(
            stream: optionalString(data.Stream) ?? "",
            consumer: optionalString(data.Consumer) ?? "",
            streamSequence: data.Sequence.Stream,
            consumerSequence: data.Sequence.Consumer,
            numDelivered: data.NumDelivered,
            numPending: data.NumPending,
            timestamp: dateFromNanoseconds(data.Timestamp)
        )
    }
}

/// Owns a delivered `natsMsg` so it can be acked later.
///
/// `@unchecked Sendable`: a `natsMsg` is not thread-safe (acking updates its flags), so every
/// use goes through `lock`. The pointer never changes and is destroyed once, in `deinit`.
/// libnats acks through the message's subscription without retaining it, so this keeps the
/// subscription handle alive as long as the message.
final class MessageAcknowledger: @unchecked Sendable {
    private let raw: OpaquePointer
    private let lock = Mutex(())
    private let subscription: StoppableHandle

    init(adopting raw: OpaquePointer, subscription: StoppableHandle) {
        self.raw = raw
        self.subscription = subscription
    }

    deinit {
        natsMsg_Destroy(raw)
    }

    func perform(_ what: String, _ operation: (OpaquePointer) -> natsStatus) throws(NATSError) {
        try lock.withLock { _ throws(NATSError) in
            try check(operation(raw), while: what)
        }
    }
}

internal import CNATS

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A durable consumer on a stream. `nil` settings take the server's defaults
/// (ack wait 30 s, unlimited deliveries, 1000 unacknowledged messages).
public struct ConsumerConfiguration: Sendable, Equatable {
    public enum AckPolicy: Sendable, Equatable {
        /// Every message must be acked on its own.
        case explicit
        /// Acking a message acks every earlier one too.
        case all
        case none
    }

    public enum DeliverPolicy: Sendable, Equatable {
        case all
        case startSequence(UInt64)
        /// Only messages stored after the consumer was created.
        case new
        /// The last message of the stream, then new ones.
        case last
    }

    public var durableName: String
    /// On server 2.9 a consumer has at most one filter subject.
    public var filterSubject: String?
    public var ackPolicy: AckPolicy
    /// How long the server waits for an ack before redelivering.
    public var ackWait: Duration?
    /// Deliveries per message before the server gives up on it.
    public var maxDeliver: Int?
    /// Unacknowledged messages allowed at once.
    public var maxAckPending: Int?
    public var deliverPolicy: DeliverPolicy

    public init(
        durableName: String,
        filterSubject: String? = nil,
        ackPolicy: AckPolicy = .explicit,
        ackWait: Duration? = nil,
        maxDeliver: Int? = nil,
        maxAckPending: Int? = nil,
        deliverPolicy: DeliverPolicy = .all
    ) {
        self.durableName = durableName
        self.filterSubject = filterSubject
        self.ackPolicy = ackPolicy
        self.ackWait = ackWait
        self.maxDeliver = maxDeliver
        self.maxAckPending = maxAckPending
        self.deliverPolicy = deliverPolicy
    }
}

/// A consumer's configuration and progress, as the server reports them.
public struct ConsumerInfo: Sendable {
    /// A position in the consumer's and the stream's numbering.
    public struct SequencePair: Sendable, Equatable {
        public var consumer: UInt64
        public var stream: UInt64
    }

    public var stream: String
    public var name: String
    public var config: ConsumerConfiguration
    public var created: Date
    /// The last message delivered.
    public var delivered: SequencePair
    /// Everything up to here is acknowledged.
    public var ackFloor: SequencePair
    /// Delivered but not yet acknowledged.
    public var ackPendingCount: Int
    public var redeliveredCount: Int
    /// Pull requests waiting at the server.
    public var waitingCount: Int
    /// Messages in the stream not yet delivered.
    public var pendingCount: UInt64

    init(_ info: UnsafeMutablePointer<jsConsumerInfo>) {
        let info = info.pointee
        stream = optionalString(info.Stream) ?? ""
        name = optionalString(info.Name) ?? ""
        config = info.Config.map { ConsumerConfiguration($0.pointee) } ?? ConsumerConfiguration(durableName: name)
        created = dateFromNanoseconds(info.Created)
        delivered = SequencePair(consumer: info.Delivered.Consumer, stream: info.Delivered.Stream)
        ackFloor = SequencePair(consumer: info.AckFloor.Consumer, stream: info.AckFloor.Stream)
        ackPendingCount = Int(info.NumAckPending)
        redeliveredCount = Int(info.NumRedelivered)
        waitingCount = Int(info.NumWaiting)
        pendingCount = info.NumPending
    }
}

extension ConsumerConfiguration {
    /// The C struct, with its strings in `arena`.
    func cConfig(in arena: CArena) -> jsConsumerConfig {
        var config = jsConsumerConfig()
        // Leaves the policies at -1 ("unset"), which libnats relies on.
        jsConsumerConfig_Init(&config)
        config.Durable = arena.string(durableName)
        config.FilterSubject = arena.string(filterSubject)
        switch ackPolicy {
        case .explicit: config.AckPolicy = js_AckExplicit
        case .all: config.AckPolicy = js_AckAll
        case .none: config.AckPolicy = js_AckNone
        }
        switch deliverPolicy {
        case .all: config.DeliverPolicy = js_DeliverAll
        case .startSequence(let sequence):
            config.DeliverPolicy = js_DeliverByStartSequence
            config.OptStartSeq = sequence
        case .new: config.DeliverPolicy = js_DeliverNew
        case .last: config.DeliverPolicy = js_DeliverLast
        }
        if let ackWait { config.AckWait = ackWait.clampedNanoseconds }
        if let maxDeliver { config.MaxDeliver = Int64(maxDeliver) }
        if let maxAckPending { config.MaxAckPending = Int64(maxAckPending) }
        return config
    }

    init(_ config: jsConsumerConfig) {
        let ackPolicy: AckPolicy =
            config.AckPolicy == js_AckAll ? .all : config.AckPolicy == js_AckNone ? .none : .explicit
        let deliverPolicy: DeliverPolicy
        switch config.DeliverPolicy {
        case js_DeliverByStartSequence: deliverPolicy = .startSequence(config.OptStartSeq)
        case js_DeliverNew: deliverPolicy = .new
        case js_DeliverLast: deliverPolicy = .last
        default: deliverPolicy = .all
        }
        self.init(
            durableName: optionalString(config.Durable) ?? optionalString(config.Name) ?? "",
            filterSubject: optionalString(config.FilterSubject).flatMap { $0.isEmpty ? nil : $0 },
            ackPolicy: ackPolicy,
            ackWait: config.AckWait > 0 ? .nanoseconds(config.AckWait) : nil,
            maxDeliver: config.MaxDeliver > 0 ? Int(config.MaxDeliver) : nil,
            maxAckPending: config.MaxAckPending > 0 ? Int(config.MaxAckPending) : nil,
            deliverPolicy: deliverPolicy
        )
    }
}

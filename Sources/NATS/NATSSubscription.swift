internal import CNATS
import Logging
import Synchronization

/// A core NATS subscription, read as an `AsyncSequence` of messages.
///
/// libnats delivers on its own thread; messages wait in a bounded buffer until read. When
/// the reader falls behind by more than the buffer, new messages are dropped, counted in
/// `droppedMessages` and logged: core NATS is at-most-once, so readers that cannot lose
/// messages use JetStream consumers instead. A subscription the server refuses ends the
/// sequence with `.permissionDenied`. Iterate it once.
public final class NATSSubscription: AsyncSequence, Sendable {
    public typealias Element = NATSMessage

    public let subject: String
    private let stream: AsyncThrowingStream<NATSMessage, any Error>
    private let handle: StoppableHandle
    private let bridge: CoreSubscriptionBridge
    private let connection: NATSConnection

    init(
        subject: String,
        stream: AsyncThrowingStream<NATSMessage, any Error>,
        handle: StoppableHandle,
        bridge: CoreSubscriptionBridge,
        connection: NATSConnection
    ) {
        self.subject = subject
        self.stream = stream
        self.handle = handle
        self.bridge = bridge
        self.connection = connection
    }

    /// Messages lost because the reader fell behind (here or inside libnats).
    public var droppedMessages: Int { bridge.droppedMessages }

    /// Stops the subscription; iteration ends after the messages already buffered.
    public func unsubscribe() {
        handle.stop()
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), handle: handle)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<NATSMessage, any Error>.AsyncIterator
        // Keeps the subscription alive while someone iterates, even if the
        // `NATSSubscription` itself was a temporary.
        let handle: StoppableHandle

        public mutating func next() async throws -> NATSMessage? {
            try await base.next()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(any Error) -> NATSMessage? {
            try await base.next(isolation: actor)
        }
    }
}

/// What a core subscription's C callbacks write to.
///
/// libnats holds one retained reference as the subscription's `closure`; the completion
/// callback, which libnats guarantees to be the last call for the subscription, gives it back.
final class CoreSubscriptionBridge: Sendable {
    let subject: String
    private let continuation: AsyncThrowingStream<NATSMessage, any Error>.Continuation
    private let logger: Logger
    private let callbacks: ConnectionCallbacks
    private let dropped = Atomic<Int>(0)
    private let completed = Atomic<Bool>(false)

    init(
        subject: String,
        continuation: AsyncThrowingStream<NATSMessage, any Error>.Continuation,
        logger: Logger,
        callbacks: ConnectionCallbacks
    ) {
        self.subject = subject
        self.continuation = continuation
        self.logger = logger
        self.callbacks = callbacks
    }

    var droppedMessages: Int { dropped.load(ordering: .relaxed) }
    var isCompleted: Bool { completed.load(ordering: .acquiring) }

    func deliver(_ message: NATSMessage) {
        if case .dropped = continuation.yield(message) {
            noteDropped(1)
        }
    }

    /// libnats dropped messages because its own pending limits were exceeded.
    func slowConsumer() {
        noteDropped(1)
    }

    func fail(_ error: NATSError) {
        continuation.finish(throwing: error)
    }

    func complete() {
        completed.store(true, ordering: .releasing)
        callbacks.unregister(self)
        continuation.finish()
    }

    private func noteDropped(_ count: Int) {
        let total = dropped.add(count, ordering: .relaxed).newValue
        // The first drop and then every thousandth, so a flood does not flood the log too.
        if total == count || total / 1000 != (total - count) / 1000 {
            logger.warning(
                "nats.subscription.messages_dropped",
                metadata: ["nats.subject": "\(subject)", "nats.dropped": "\(total)"]
            )
        }
    }
}

extension NATSConnection {
    /// Subscribes to a subject (wildcards allowed), optionally in a queue group.
    ///
    /// - Parameter bufferSize: messages held for a slow reader before new ones are dropped.
    public func subscribe(subject: String, queueGroup: String? = nil, bufferSize: Int = 65_536) throws -> NATSSubscription {
        guard !isClosed else { throw NATSError.connectionClosed() }
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: NATSMessage.self,
            throwing: (any Error).self,
            bufferingPolicy: .bufferingOldest(max(1, bufferSize))
        )
        var logger = logger
        logger[metadataKey: "nats.subject"] = "\(subject)"
        let bridge = CoreSubscriptionBridge(subject: subject, continuation: continuation, logger: logger, callbacks: callbacks)
        let closure = Unmanaged.passRetained(bridge).toOpaque()

        var subscription: OpaquePointer?
        let status: natsStatus
        if let queueGroup {
            status = natsConnection_QueueSubscribe(&subscription, raw, subject, queueGroup, coreMessageCallback, closure)
        } else {
            status = natsConnection_Subscribe(&subscription, raw, subject, coreMessageCallback, closure)
        }
        guard status == NATS_OK, let subscription else {
            let error = NATSError(status: status, while: "subscribing to \(subject)")
            // No subscription exists, so no callback can hold the bridge.
            Unmanaged<CoreSubscriptionBridge>.fromOpaque(closure).release()
            throw error
        }
        callbacks.register(bridge, id: UInt(bitPattern: subscription))
        if natsSubscription_SetOnCompleteCB(subscription, coreSubscriptionCompleteCallback, closure) != NATS_OK {
            // Already closed (the connection is closing). Without the completion callback
            // there is no moment when the message callback is known to be finished, so the
            // bridge's reference is left in place: a small leak instead of a use-after-free.
            logger.debug("nats.subscription.closed_before_setup")
            continuation.finish(throwing: NATSError.connectionClosed())
        }
        // Our callback only copies and buffers, so libnats' own queue rarely grows; the higher
        // limits keep a burst from tripping libnats' slow-consumer drop before ours.
        _ = natsSubscription_SetPendingLimits(subscription, 1_048_576, 512 * 1024 * 1024)

        let handle = StoppableHandle.subscription(adopting: subscription)
        continuation.onTermination = { [weak handle, weak bridge] _ in
            // A reader that stopped (cancelled, or dropped the iterator) no longer wants messages.
            guard let bridge, !bridge.isCompleted else { return }
            handle?.stop()
        }
        logger.debug("nats.subscription.started")
        return NATSSubscription(subject: subject, stream: stream, handle: handle, bridge: bridge, connection: self)
    }
}

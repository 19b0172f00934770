internal import CNATS
import Logging

/// An in-order replay of a stream from a given sequence, as an `AsyncSequence`.
///
/// Messages need no ack. After the stored messages it keeps delivering new ones; iteration
/// ends when the task is cancelled or `close()` is called, and throws `.connectionClosed`
/// if the connection closes first. Iterate it once.
public final class OrderedConsumer: AsyncSequence, Sendable {
    public typealias Element = JetStreamMessage

    public let stream: String
    private let handle: StoppableHandle
    private let connection: NATSConnection

    /// How long one blocking wait lasts; cancellation is noticed between waits.
    static let waitSlice: Duration = .milliseconds(200)
    /// Messages handed over per trip to the thread pool when they are already queued.
    static let maxBatch = 512

    init(stream: String, handle: StoppableHandle, connection: NATSConnection) {
        self.stream = stream
        self.handle = handle
        self.connection = connection
    }

    /// Stops the replay and deletes the ephemeral consumer on the server.
    public func close() {
        handle.stop()
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(consumer: self)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: OrderedConsumer
        var buffer: [JetStreamMessage] = []
        var position = 0

        public mutating func next() async throws -> JetStreamMessage? {
            if position < buffer.count {
                defer { position += 1 }
                return buffer[position]
            }
            while true {
                guard !Task.isCancelled else { return nil }
                if consumer.handle.isStopped {
                    if consumer.handle.wasStoppedByClose { throw NATSError.connectionClosed() }
                    return nil
                }
                let batch: [JetStreamMessage]
                do {
                    batch = try await consumer.nextBatch()
                } catch is CancellationError {
                    return nil
                }
                if let first = batch.first {
                    buffer = batch
                    position = 1
                    return first
                }
            }
        }
    }

    /// Waits up to one slice for a message, then takes whatever else is already queued.
    private func nextBatch() async throws -> [JetStreamMessage] {
        let handle = handle
        let logger = connection.logger
        let stream = stream
        do {
            return try await connection.runBlocking {
                var messages: [JetStreamMessage] = []
                var message: OpaquePointer?
                var status = natsSubscription_NextMsg(&message, handle.raw, Self.waitSlice.timeoutMilliseconds)
                while status == NATS_OK, let delivered = message {
                    messages.append(JetStreamMessage(adopting: delivered, subscription: handle, acknowledgeable: false))
                    message = nil
                    var pendingMessages: Int32 = 0
                    var pendingBytes: Int32 = 0
                    guard messages.count < Self.maxBatch,
                        natsSubscription_GetPending(handle.raw, &pendingMessages, &pendingBytes) == NATS_OK,
                        pendingMessages > 0
                    else { break }
                    status = natsSubscription_NextMsg(&message, handle.raw, 1)
                }
                switch status {
                case NATS_OK, NATS_TIMEOUT:
                    break
                case NATS_SLOW_CONSUMER, NATS_MISMATCH, NATS_MISSED_HEARTBEAT:
                    // libnats noticed a gap and recreates the ordered consumer from the last
                    // sequence it delivered, so nothing is lost; worth a note, not an error.
                    logger.notice(
                        "nats.ordered_consumer.reset",
                        metadata: ["nats.stream": "\(stream)", "nats.status": "\(String(cString: natsStatus_GetText(status)))"]
                    )
                default:
                    if messages.isEmpty {
                        try check(status, while: "reading the ordered consumer on \(stream)")
                    }
                }
                return messages
            }
        } catch let error as NATSError where error.code == .subscriptionClosed || error.code == .connectionClosed {
            // The iterator decides from the handle's state whether this ends or fails iteration.
            if handle.isStopped { return [] }
            throw NATSError.connectionClosed()
        }
    }
}

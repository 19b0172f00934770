internal import CNATS
import Synchronization

/// A binding to a durable pull consumer: fetch batches, then ack each message.
public final class PullSubscription: Sendable {
    public let stream: String
    public let consumer: String
    private let handle: StoppableHandle
    private let connection: NATSConnection
    private let fetchState = Mutex(FetchState())

    private struct FetchState {
        var running = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    init(stream: String, consumer: String, handle: StoppableHandle, connection: NATSConnection) {
        self.stream = stream
        self.consumer = consumer
        self.handle = handle
        self.connection = connection
    }

    /// Up to `batch` messages, waiting at most `timeout` for the first; an empty array when
    /// none came. (libnats 3.4.1 sometimes gives up at once instead of waiting, bug #631, so an
    /// empty result is no proof that the consumer is drained: just fetch again.)
    ///
    /// One fetch at a time per subscription; throws `.connectionClosed` or
    /// `.subscriptionClosed` once closed.
    public func fetch(batch: Int, timeout: Duration) async throws -> [JetStreamMessage] {
        guard batch > 0 else { throw NATSError.invalidArgument("fetch batch must be positive, not \(batch)") }
        guard !handle.isStopped else { throw Self.closedError }
        let started = fetchState.withLock { state in
            guard !state.running else { return false }
            state.running = true
            return true
        }
        guard started else { throw NATSError.invalidArgument("a fetch on \(stream)/\(consumer) is already running") }
        defer {
            let waiters = fetchState.withLock { state in
                state.running = false
                defer { state.closeWaiters = [] }
                return state.closeWaiters
            }
            for waiter in waiters { waiter.resume() }
        }

        let handle = handle
        let connection = connection
        let description = "\(stream)/\(consumer)"
        let mark = connection.callbacks.violationMark()
        let outcome: (messages: [JetStreamMessage], timedOut: Bool)
        do {
            outcome = try await connection.runBlocking {
                var list = natsMsgList()
                var jsError = jsErrCode(0)
                let status = natsSubscription_Fetch(&list, handle.raw, Int32(clamping: batch), timeout.timeoutMilliseconds, &jsError)
                defer { natsMsgList_Destroy(&list) }
                var messages: [JetStreamMessage] = []
                messages.reserveCapacity(Int(list.Count))
                for index in 0..<Int(list.Count) {
                    guard let message = list.Msgs[index] else { continue }
                    // Each message now belongs to its JetStreamMessage; the list only frees the array.
                    list.Msgs[index] = nil
                    messages.append(JetStreamMessage(adopting: message, subscription: handle, acknowledgeable: true))
                }
                if messages.isEmpty && status != NATS_TIMEOUT {
                    try check(status, jsError: jsError, while: "fetching from \(description)")
                }
                return (messages, messages.isEmpty)
            }
        } catch let error as NATSError where error.code == .subscriptionClosed || error.code == .connectionClosed {
            throw connection.isClosed ? NATSError.connectionClosed() : Self.closedError
        }
        if outcome.timedOut, let violation = connection.permissionViolation(
            since: mark,
            matching: .jetStreamAPI(stream: stream, subject: "$JS.API.CONSUMER.MSG.NEXT.\(stream).\(consumer)")
        ) {
            throw NATSError.permissionDenied(violation)
        }
        return outcome.messages
    }

    /// Stops fetching and returns once a fetch in flight has ended (it ends at once, empty or
    /// with `.subscriptionClosed`). The durable consumer stays on the server; messages already
    /// fetched can still be acked while the connection is open.
    public func close() async {
        handle.stop()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let running = fetchState.withLock { state in
                if state.running { state.closeWaiters.append(continuation) }
                return state.running
            }
            if !running { continuation.resume() }
        }
    }

    private static var closedError: NATSError {
        NATSError(code: .subscriptionClosed, message: "the pull subscription is closed")
    }
}

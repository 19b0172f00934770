/// The pool's bookkeeping, kept in a `Mutex`. Transitions never do I/O or resume continuations:
/// they return what to do, and the pool does it after the lock is released.
struct PoolState {
    /// What a lease is granted: an idle connection, or a free slot to open one in.
    enum Grant: Sendable {
        case connection(PostgresConnection)
        case openNew
    }

    typealias Waiter = CheckedContinuation<Grant, any Error>

    /// Continuations to resume once the lock is released.
    struct Resumptions {
        var grants: [(Waiter, Result<Grant, any Error>)] = []
        var signals: [CheckedContinuation<Void, Never>] = []

        func run() {
            for (waiter, result) in grants { waiter.resume(with: result) }
            for signal in signals { signal.resume() }
        }
    }

    enum ReleaseAction {
        case keep
        case handOver(Waiter)
        /// Close the connection, then report `connectionGone()`.
        case close
    }

    private enum Phase {
        case running
        /// No new leases; leased connections are closed when they come back.
        case draining
        /// Every connection is closed.
        case closed
    }

    private let maxConnections: Int
    /// Most callers waiting at once; one more is refused with `.poolExhausted`.
    private let maxWaiters: Int
    private var phase = Phase.running
    /// Connections that exist or are being opened, leased or idle; never more than `maxConnections`.
    private var open = 0
    private var idle: [PostgresConnection] = []
    /// First come, first served.
    private var waiters: [(id: Int, continuation: Waiter)] = []
    private var nextLeaseID = 0
    private var shutdownRequestWaiters: [CheckedContinuation<Void, Never>] = []
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []

    init(maxConnections: Int, maxWaiters: Int) {
        self.maxConnections = maxConnections
        self.maxWaiters = maxWaiters
    }

    mutating func makeLeaseID() -> Int {
        nextLeaseID += 1
        return nextLeaseID
    }

    /// Grants at once if it can; otherwise queues `continuation`, to be resumed later.
    mutating func lease(id: Int, _ continuation: Waiter, isCancelled: Bool) -> Resumptions? {
        let result: Result<Grant, any Error>
        if phase != .running {
            result = .failure(Self.poolClosed)
        } else if let connection = idle.popLast() {
            result = .success(.connection(connection))
        } else if open < maxConnections {
            open += 1
            result = .success(.openNew)
        } else if isCancelled {
            result = .failure(PostgresError(code: .queryCanceled, message: "the task was cancelled while waiting for a connection"))
        } else if waiters.count >= maxWaiters {
            result = .failure(PostgresError(
                code: .poolExhausted,
                message: "all \(maxConnections) connections are in use and \(maxWaiters) callers already wait for one"
            ))
        } else {
            waiters.append((id, continuation))
            return nil
        }
        return Resumptions(grants: [(continuation, result)])
    }

    /// A grant without waiting, or nil when the caller would have to queue (or fail).
    mutating func leaseWithoutWaiting() -> Grant? {
        guard phase == .running else { return nil }
        if let connection = idle.popLast() { return .connection(connection) }
        if open < maxConnections {
            open += 1
            return .openNew
        }
        return nil
    }

    /// Fails the waiter `id` with `.poolTimeout`, if it still waits.
    mutating func timeOutWaiter(id: Int, after timeout: Duration) -> Resumptions? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        let waiter = waiters.remove(at: index).continuation
        let error = PostgresError(code: .poolTimeout, message: "no PostgreSQL connection came free within \(timeout)")
        return Resumptions(grants: [(waiter, .failure(error))])
    }

    mutating func cancelWaiter(id: Int) -> Resumptions? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        let waiter = waiters.remove(at: index).continuation
        let error = PostgresError(code: .queryCanceled, message: "the task was cancelled while waiting for a connection")
        return Resumptions(grants: [(waiter, .failure(error))])
    }

    mutating func release(_ connection: PostgresConnection, reusable: Bool) -> ReleaseAction {
        guard reusable, phase == .running else { return .close }
        if !waiters.isEmpty {
            return .handOver(waiters.removeFirst().continuation)
        }
        idle.append(connection)
        return .keep
    }

    /// A connection was closed, or failed to open: its slot goes to the first waiter, if any.
    mutating func connectionGone() -> Resumptions? {
        open -= 1
        switch phase {
        case .running where !waiters.isEmpty:
            open += 1
            return Resumptions(grants: [(waiters.removeFirst().continuation, .success(.openNew))])
        case .draining where open == 0:
            phase = .closed
            defer { drainWaiters = [] }
            return Resumptions(signals: drainWaiters)
        default:
            return nil
        }
    }

    /// `nil` if shutdown was already requested.
    mutating func requestShutdown() -> Resumptions? {
        guard phase == .running else { return nil }
        phase = open == 0 ? .closed : .draining
        defer {
            waiters = []
            shutdownRequestWaiters = []
        }
        return Resumptions(
            grants: waiters.map { ($0.continuation, .failure(Self.poolClosed)) },
            signals: shutdownRequestWaiters
        )
    }

    /// The idle connections, for the caller to close; none become idle once shutdown has begun.
    mutating func takeIdle() -> [PostgresConnection] {
        defer { idle = [] }
        return idle
    }

    /// Queues `continuation` until shutdown is requested; `false` if it already was.
    mutating func waitForShutdownRequest(_ continuation: CheckedContinuation<Void, Never>) -> Bool {
        guard phase == .running else { return false }
        shutdownRequestWaiters.append(continuation)
        return true
    }

    /// Queues `continuation` until every connection is closed; `false` if they already are.
    mutating func waitUntilDrained(_ continuation: CheckedContinuation<Void, Never>) -> Bool {
        guard phase != .closed else { return false }
        drainWaiters.append(continuation)
        return true
    }

    private static let poolClosed = PostgresError(code: .poolClosed, message: "the connection pool is shut down")
}

import Logging
import ServiceLifecycle
import Synchronization

/// Up to `maxConnections` connections, opened on demand and lent out one caller at a time.
///
/// When all are lent, at most `maxWaiters` callers queue, each for at most `waitTimeout`;
/// past either bound a caller fails at once (`.poolExhausted`) or on time (`.poolTimeout`),
/// so that a burst of requests is refused instead of piling up behind a busy database.
/// A connection comes back out of any transaction its borrower left open: rolled back, or
/// closed if the rollback fails.
///
/// Run it as a `Service` (or through `withPool`): `run()` returns after a graceful shutdown, which
/// refuses new leases, lets leases in flight finish, and closes every connection.
public final class PostgresConnectionPool: Service, Sendable {
    public let configuration: PostgresConfiguration
    public let maxConnections: Int
    /// Nil: callers wait as long as it takes.
    public let waitTimeout: Duration?
    private let logger: Logger
    private let state: Mutex<PoolState>

    public init(
        configuration: PostgresConfiguration, maxConnections: Int, maxWaiters: Int = .max, waitTimeout: Duration? = nil,
        logger: Logger
    ) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        precondition(maxWaiters >= 0, "a negative wait queue")
        self.configuration = configuration
        self.maxConnections = maxConnections
        self.waitTimeout = waitTimeout
        self.logger = logger
        self.state = Mutex(PoolState(maxConnections: maxConnections, maxWaiters: maxWaiters))
    }

    /// Runs the pool once around `body`, then shuts it down: for one-shot commands.
    @discardableResult
    nonisolated(nonsending)
    public static func withPool<R: Sendable>(
        configuration: PostgresConfiguration,
        maxConnections: Int,
        logger: Logger,
        _ body: (PostgresConnectionPool) async throws -> sending R
    ) async throws -> sending R {
        let pool = PostgresConnectionPool(configuration: configuration, maxConnections: maxConnections, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            let result: Result<R, any Error>
            do {
                result = .success(try await body(pool))
            } catch {
                result = .failure(error)
            }
            await pool.shutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }

    // MARK: Service

    /// Returns once the pool has shut down, after graceful shutdown, task cancellation or `shutdown()`.
    public func run() async throws {
        await withTaskCancellationOrGracefulShutdownHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if !state.withLock({ $0.waitForShutdownRequest(continuation) }) {
                    continuation.resume()
                }
            }
        } onCancelOrGracefulShutdown: {
            self.requestShutdown()
        }
        await drain()
    }

    /// Shuts the pool down as `run()` does on graceful shutdown, and returns when it is done.
    public func shutdown() async {
        requestShutdown()
        await drain()
    }

    // MARK: Leases

    /// Lends a connection to `body`, opening one if none is idle and fewer than `maxConnections`
    /// exist, or else waiting (first come, first served) for one to be returned.
    ///
    /// A connection that `body` found lost (`.connectionClosed`) is closed, not reused.
    /// Do not keep the connection beyond `body`.
    @discardableResult
    nonisolated(nonsending)
    public func withConnection<R: Sendable>(_ body: (PostgresConnection) async throws -> sending R) async throws -> sending R {
        let connection = try await lease()
        let value: R
        do {
            value = try await body(connection)
        } catch {
            await release(connection, error: error)
            throw error
        }
        await release(connection, error: nil)
        return value
    }

    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await withConnection { try await $0.query(query) }
    }

    @discardableResult
    public func execute(_ statement: PostgresPreparedStatement, _ binds: PostgresBindings = .init()) async throws -> PostgresRows {
        try await withConnection { try await $0.execute(statement, binds) }
    }

    @discardableResult
    nonisolated(nonsending)
    public func withTransaction<R: Sendable>(
        isolation: PostgresIsolationLevel = .readCommitted,
        _ body: (PostgresConnection) async throws -> sending R
    ) async throws -> sending R {
        try await withConnection { connection in
            try await connection.withTransaction(isolation: isolation, body)
        }
    }

    private func lease() async throws -> PostgresConnection {
        let grant: PoolState.Grant
        if let immediate = state.withLock({ $0.leaseWithoutWaiting() }) {
            grant = immediate
        } else if let waitTimeout {
            grant = try await waitForGrant(timeout: waitTimeout)
        } else {
            grant = try await waitForGrant(id: state.withLock { $0.makeLeaseID() })
        }
        switch grant {
        case .connection(let connection):
            return connection
        case .openNew:
            do {
                return try await PostgresConnection.connect(configuration, logger: logger)
            } catch {
                connectionGone()
                throw error
            }
        }
    }

    /// Waits beside a timer that fails the wait with `.poolTimeout` once `timeout` has passed.
    private func waitForGrant(timeout: Duration) async throws -> PoolState.Grant {
        let id = state.withLock { $0.makeLeaseID() }
        return try await withThrowingTaskGroup(of: PoolState.Grant?.self) { group in
            group.addTask { try await self.waitForGrant(id: id) }
            group.addTask {
                // Cancelled once the grant came: the sleep ends early and nothing is timed out.
                guard (try? await Task.sleep(for: timeout)) != nil else { return nil }
                self.state.withLock { $0.timeOutWaiter(id: id, after: timeout) }?.run()
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let grant = result { return grant }
            }
            throw PostgresError(code: .poolTimeout, message: "no PostgreSQL connection came free within \(timeout)")
        }
    }

    private func waitForGrant(id: Int) async throws -> PoolState.Grant {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PoolState.Grant, any Error>) in
                // Cancellation sets the flag before its handler takes the lock, so checking the flag
                // under the lock means the handler either finds this waiter queued or it never queues.
                let action = state.withLock { $0.lease(id: id, continuation, isCancelled: Task.isCancelled) }
                action?.run()
            }
        } onCancel: {
            state.withLock { $0.cancelWaiter(id: id) }?.run()
        }
    }

    private func release(_ connection: PostgresConnection, error: (any Error)?) async {
        var lost = (error as? PostgresError)?.code == .connectionClosed || connection.isClosed
        if !lost, connection.isTransactionOpen {
            // The borrower began a transaction and left (a bug, or a task cancelled between BEGIN
            // and its end). Handed on as it is, the next borrower's statements would run inside it,
            // and it would hold the visibility horizon and its locks for as long as it stays open.
            logger.warning("Rolling back a transaction left open on a returned connection", metadata: [
                "postgres.backend_pid": "\(connection.backendProcessID)",
            ])
            do {
                try await connection.run(query: "ROLLBACK", cancellable: false) { try $0.rollbackIfInTransaction() }
            } catch {
                lost = true
            }
            lost = lost || connection.isTransactionOpen
        }
        switch state.withLock({ $0.release(connection, reusable: !lost) }) {
        case .keep:
            break
        case .handOver(let waiter):
            waiter.resume(returning: .connection(connection))
        case .close:
            if lost {
                logger.debug("Discarding lost PostgreSQL connection", metadata: [
                    "postgres.backend_pid": "\(connection.backendProcessID)",
                ])
            }
            await connection.close()
            connectionGone()
        }
    }

    /// Frees the slot of a connection that was closed or never opened.
    private func connectionGone() {
        state.withLock { $0.connectionGone() }?.run()
    }

    // MARK: Shutdown

    private func requestShutdown() {
        guard let action = state.withLock({ $0.requestShutdown() }) else { return }
        logger.info("PostgreSQL connection pool shutting down")
        action.run()
    }

    /// Closes the idle connections, then waits for the leased ones to come back and be closed.
    private func drain() async {
        for connection in state.withLock({ $0.takeIdle() }) {
            await connection.close()
            connectionGone()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !state.withLock({ $0.waitUntilDrained(continuation) }) {
                continuation.resume()
            }
        }
        logger.debug("PostgreSQL connection pool shut down")
    }
}

import Logging
import ServiceLifecycle
import Synchronization

/// Up to `maxConnections` connections, opened on demand and lent out one caller at a time.
///
/// Run it as a `Service` (or through `withPool`): `run()` returns after a graceful shutdown, which
/// refuses new leases, lets leases in flight finish, and closes every connection.
public final class PostgresConnectionPool: Service, Sendable {
    public let configuration: PostgresConfiguration
    public let maxConnections: Int
    private let logger: Logger
    private let state: Mutex<PoolState>

    public init(configuration: PostgresConfiguration, maxConnections: Int, logger: Logger) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.configuration = configuration
        self.maxConnections = maxConnections
        self.logger = logger
        self.state = Mutex(PoolState(maxConnections: maxConnections))
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
        let id = state.withLock { $0.makeLeaseID() }
        let grant = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PoolState.Grant, any Error>) in
                // Cancellation sets the flag before its handler takes the lock, so checking the flag
                // under the lock means the handler either finds this waiter queued or it never queues.
                let action = state.withLock { $0.lease(id: id, continuation, isCancelled: Task.isCancelled) }
                action?.run()
            }
        } onCancel: {
            state.withLock { $0.cancelWaiter(id: id) }?.run()
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

    private func release(_ connection: PostgresConnection, error: (any Error)?) async {
        let lost = (error as? PostgresError)?.code == .connectionClosed || connection.isClosed
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

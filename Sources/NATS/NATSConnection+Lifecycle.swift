import Logging
import ServiceLifecycle
import Synchronization

/// A connection's lifetime, the way `PostgresConnectionPool` has one: either a scope
/// (`withConnection`) for one-shot work, or a `Service` in a `ServiceGroup` that closes
/// the connection on graceful shutdown, so nothing closes it by hand.
extension NATSConnection: Service {
    /// Connects, runs `body`, and closes the connection whether `body` returns or throws.
    /// The close is awaited, so the process never exits with publishes still in flight.
    @discardableResult
    nonisolated(nonsending)
    public static func withConnection<R: Sendable>(
        url: String,
        name: String,
        logger: Logger,
        options: NATSConnectionOptions = .init(),
        _ body: (NATSConnection) async throws -> sending R
    ) async throws -> sending R {
        let connection = try await connect(url: url, name: name, logger: logger, options: options)
        let result: Result<R, any Error>
        do {
            result = .success(try await body(connection))
        } catch {
            result = .failure(error)
        }
        await connection.close()
        return try result.get()
    }

    /// Holds the connection open until graceful shutdown or cancellation, then drains and
    /// closes it. In a `ServiceGroup` place it before the services that use it: the group
    /// stops services in reverse order, so they finish their work before it closes.
    public func run() async throws {
        await withTaskCancellationOrGracefulShutdownHandler {
            await self.waitUntilShutdownRequested()
        } onCancelOrGracefulShutdown: {
            self.requestShutdown()
        }
        await close()
    }
}

extension NATSConnection {
    func waitUntilShutdownRequested() async {
        await shutdownSignal.wait()
    }

    func requestShutdown() {
        shutdownSignal.fire()
    }
}

/// A one-shot signal: `wait()` returns once `fire()` was called, before or after.
final class ShutdownSignal: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Void, Never>])
        case fired
    }

    private let state = Mutex(State.waiting([]))

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let fired = state.withLock { state -> Bool in
                guard case .waiting(var waiters) = state else { return true }
                waiters.append(continuation)
                state = .waiting(waiters)
                return false
            }
            if fired { continuation.resume() }
        }
    }

    func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard case .waiting(let waiters) = state else { return [] }
            state = .fired
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

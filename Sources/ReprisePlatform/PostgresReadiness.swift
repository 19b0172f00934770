import Logging
import Postgres
import RepriseMigrations
import Synchronization

/// Ready means PostgreSQL answers and every migration this build knows is applied.
///
/// Probes are anonymous and may come in floods, so the answer is kept for `freshFor` and
/// one check at a time runs, on the platform's monitoring pool (a connection of its own),
/// never in the command pool's queue. Callers that come while a check runs get the last
/// answer, or, before the first one, wait for it.
final class PostgresReadiness: Sendable {
    private let pool: PostgresConnectionPool
    private let runner: MigrationRunner
    private let freshFor: Duration
    private let state = Mutex(State())

    private struct State {
        var last: (ready: Bool, at: ContinuousClock.Instant)?
        var checking = false
        var waiters: [CheckedContinuation<Bool, Never>] = []
    }

    private enum Step {
        case answer(Bool)
        case wait
        case check
    }

    init(pool: PostgresConnectionPool, migrations: [Migration], freshFor: Duration = .seconds(1), logger: Logger) {
        self.pool = pool
        self.runner = MigrationRunner(migrations: migrations, logger: logger)
        self.freshFor = freshFor
    }

    func isReady() async -> Bool {
        let now = ContinuousClock.now
        let step = state.withLock { state -> Step in
            if let last = state.last, now - last.at < freshFor { return .answer(last.ready) }
            if state.checking { return state.last.map { .answer($0.ready) } ?? .wait }
            state.checking = true
            return .check
        }
        switch step {
        case .answer(let ready):
            return ready
        case .wait:
            return await withCheckedContinuation { continuation in
                let answer = state.withLock { state -> Bool? in
                    guard state.checking else { return state.last?.ready ?? false }
                    state.waiters.append(continuation)
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        case .check:
            let ready = (try? await pool.withConnection { try await runner.status(on: $0).isCurrent }) ?? false
            let waiters = state.withLock { state in
                state.last = (ready, ContinuousClock.now)
                state.checking = false
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: ready) }
            return ready
        }
    }
}

import Logging
import Postgres
import RepriseAPI
import RepriseMigrations
import RepriseRelay
import Synchronization

/// Ready means PostgreSQL answers and every migration this build knows is applied. A relay
/// halted on a stream that contradicts the log (recorded in `relay_status`, whichever
/// process runs it) makes the fan-out degraded: commands are still accepted.
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
        var last: (readiness: Readiness, at: ContinuousClock.Instant)?
        var checking = false
        var waiters: [CheckedContinuation<Readiness, Never>] = []
    }

    private enum Step {
        case answer(Readiness)
        case wait
        case check
    }

    init(pool: PostgresConnectionPool, migrations: [Migration], freshFor: Duration = .seconds(1), logger: Logger) {
        self.pool = pool
        self.runner = MigrationRunner(migrations: migrations, logger: logger)
        self.freshFor = freshFor
    }

    func readiness() async -> Readiness {
        let now = ContinuousClock.now
        let step = state.withLock { state -> Step in
            if let last = state.last, now - last.at < freshFor { return .answer(last.readiness) }
            if state.checking { return state.last.map { .answer($0.readiness) } ?? .wait }
            state.checking = true
            return .check
        }
        switch step {
        case .answer(let readiness):
            return readiness
        case .wait:
            return await withCheckedContinuation { continuation in
                let answer = state.withLock { state -> Readiness? in
                    guard state.checking else { return state.last?.readiness ?? .notReady }
                    state.waiters.append(continuation)
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        case .check:
            let readiness = await check()
            let waiters = state.withLock { state in
                state.last = (readiness, ContinuousClock.now)
                state.checking = false
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: readiness) }
            return readiness
        }
    }

    private func check() async -> Readiness {
        let report: Readiness? = try? await pool.withConnection { connection in
            guard try await runner.status(on: connection).isCurrent else { return .notReady }
            guard let fanout = try await FanoutStatus.read(on: connection), fanout.state == .halted else { return .ready }
            return Readiness(isReady: true, degraded: ["fanout": fanout.code ?? "halted"])
        }
        return report ?? .notReady
    }
}

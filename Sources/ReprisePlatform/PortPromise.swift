import Synchronization

/// The API's listening port, known only once the server is up: `value()` waits for it.
/// Failed when the platform stops first, so no waiter hangs on a server that never came.
final class PortPromise: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Int, any Error>])
        case fulfilled(Int)
        case failed(any Error)
    }

    private let state = Mutex(State.waiting([]))

    func value() async throws -> Int {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
            let outcome = state.withLock { state -> Result<Int, any Error>? in
                switch state {
                case .waiting(var waiters):
                    waiters.append(continuation)
                    state = .waiting(waiters)
                    return nil
                case .fulfilled(let port): return .success(port)
                case .failed(let error): return .failure(error)
                }
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    func fulfil(_ port: Int) {
        settle(.success(port))
    }

    /// Does nothing once fulfilled: a port that was handed out stays valid.
    func fail(_ error: any Error) {
        settle(.failure(error))
    }

    private func settle(_ outcome: Result<Int, any Error>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int, any Error>] in
            guard case .waiting(let waiters) = state else { return [] }
            switch outcome {
            case .success(let port): state = .fulfilled(port)
            case .failure(let error): state = .failed(error)
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(with: outcome) }
    }
}

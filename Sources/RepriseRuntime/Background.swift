/// Runs `background` beside `body`, then stops it and waits for it: the shape of every
/// "run the platform (or a relay, or a projector) while this happens" in the project.
///
/// When `body` ends, `stop` asks the background work to finish (a graceful shutdown), or,
/// without one, it is cancelled. `body`'s error wins; else the background's error is
/// thrown, so nothing it reported is lost.
public func withBackground<R: Sendable>(
    _ background: @escaping @Sendable () async throws -> Void,
    stop: (() async -> Void)? = nil,
    _ body: () async throws -> R
) async throws -> R {
    try await withThrowingTaskGroup(of: Void.self) { group in
        // Awaited by `waitForAll` below, after `body` is done.
        group.addTask { try await background() }
        let result: Result<R, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        if let stop { await stop() } else { group.cancelAll() }
        let stopped: Result<Void, any Error>
        do {
            try await group.waitForAll()
            stopped = .success(())
        } catch {
            stopped = .failure(error)
        }
        let value = try result.get()
        try stopped.get()
        return value
    }
}

/// A wait ran out.
public struct WaitTimedOut: Error, CustomStringConvertible {
    public let description: String
}

/// Polls `condition` until it holds or `deadline` passes. The deadline is generous: a slow
/// machine only makes the test slower, never red. A condition that throws (a server that is
/// restarting) counts as not yet.
public func waitUntil(
    _ what: String, deadline: Duration = .seconds(60), every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws {
    let end = ContinuousClock.now + deadline
    var lastError: (any Error)?
    while true {
        do {
            if try await condition() { return }
        } catch {
            lastError = error
        }
        guard ContinuousClock.now < end else {
            throw WaitTimedOut(description: "gave up waiting until \(what)" + (lastError.map { "; last error: \($0)" } ?? ""))
        }
        try await Task.sleep(for: interval)
    }
}

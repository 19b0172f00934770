/// Reads the log up to "now": every event committed before the read began.
///
/// `readLog` returns only the stable prefix, which lags while any transaction in the
/// database is still open. A reader that must be complete up to the moment it started
/// (an audit, a rebuild) notes the next transaction id first and keeps paging until the
/// stable prefix has passed it.
public enum LogCatchUp {
    /// Whether the reader wants more pages.
    public enum Progress: Sendable {
        case more
        case stop
    }

    /// Calls `body` with each page, in log order, until the log is read up to the moment
    /// of the call or `body` returns `.stop`; returns the cursor after the last page read.
    @discardableResult
    public static func read(
        _ store: any EventStore,
        after cursor: LogCursor? = nil,
        pageSize: Int = 5_000,
        pollInterval: Duration = .milliseconds(20),
        _ body: ([RecordedEvent]) throws -> Progress
    ) async throws -> LogCursor? {
        let target = try await store.logHorizon().nextTransactionID
        var cursor = cursor
        var horizonPassedTarget = false
        while true {
            let page = try await store.readLog(after: cursor, limit: pageSize)
            if page.events.isEmpty {
                // The page was read with an older horizon than the one checked next, so
                // once the horizon has passed the target, read once more before stopping.
                if horizonPassedTarget { return cursor }
                if try await store.logHorizon().stableBelow >= target {
                    horizonPassedTarget = true
                } else {
                    try await Task.sleep(for: pollInterval)
                }
                continue
            }
            let progress = try body(page.events)
            cursor = page.cursor
            if progress == .stop { return cursor }
        }
    }
}

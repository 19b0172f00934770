import Foundation
import RepriseDomain
import RepriseEventLog
import Synchronization

extension SyntheticLog {
    /// At least `count` events of a synthetic log exactly as a projector receives them:
    /// appended to an `InMemoryEventStore` (so hashes, stream versions and record times
    /// are the store's) and numbered 1, 2, 3, … in log order.
    public static func sequenced(seed: UInt64, events count: Int, tickMinutes: Int = 1) async throws -> [SequencedEvent] {
        let moment = Mutex(Date(timeIntervalSince1970: 0))
        let store = InMemoryEventStore(now: { moment.withLock { $0 } })
        var log = SyntheticLog(seed: seed, tickMinutes: tickMinutes)
        var appended = 0
        while appended < count {
            let next = log.next()
            moment.withLock { $0 = next.recordedAt.date }
            appended += try await store.append(next.request).eventCount
        }
        var events: [SequencedEvent] = []
        var cursor: LogCursor?
        while true {
            let page = try await store.readLog(after: cursor, limit: 10_000)
            guard !page.events.isEmpty else { break }
            for event in page.events { events.append(SequencedEvent(globalSequence: UInt64(events.count + 1), event: event)) }
            cursor = page.cursor
        }
        return events
    }
}

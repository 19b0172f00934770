import Foundation
import Logging
import RepriseDomain
import RepriseEventLog
import ServiceLifecycle

/// Brings time into the log: appends `clock.ticked` to `clock-utc` at every boundary of
/// `interval` (every minute by default), so flights that start or end change projections
/// at a moment the log records, and replays see the same moments.
///
/// The wall clock is read here, outside every projection, and only to decide when to tick.
/// Each tick's command id names its moment, so any number of tickers (one per process)
/// append each tick once.
public final class ClockTicker: Service {
    private let store: any EventStore
    private let interval: Duration
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let ids = EventIDGenerator()

    public init(store: any EventStore, interval: Duration = .seconds(60), now: @escaping @Sendable () -> Date = { Date() }, logger: Logger) {
        self.store = store
        self.interval = interval
        self.now = now
        var logger = logger
        logger[metadataKey: "service"] = "ticker"
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let moment = self.now()
                let boundary = Self.floor(moment, to: self.interval)
                do {
                    try await self.tick(at: boundary)
                } catch {
                    self.logger.warning("Tick failed; the next one will carry time forward", metadata: ["error": "\(error)"])
                }
                let next = boundary.addingTimeInterval(self.interval / .seconds(1))
                try? await Task.sleep(for: .milliseconds(max(1, Int64(next.timeIntervalSince(self.now()) * 1000))))
            }
        }
    }

    /// Appends the tick for `moment` (once, whoever else ticks it).
    public func tick(at moment: Date) async throws {
        let tick = ClockTicked(at: try Timestamp(atOrBefore: moment))
        let encoded = ClockTicked.encode(tick)
        let result = try await store.append(AppendRequest(
            commandID: tick.commandID,
            streams: [StreamAppend(
                streamID: StreamID(ClockTicked.streamID), expectedVersion: .any,
                events: [NewEvent(eventID: ids.next(), type: encoded.type, schemaVersion: encoded.schemaVersion, data: encoded.data)]
            )],
            metadata: EventMetadata(correlationID: ids.next(), actor: "ticker")
        ))
        if !result.isDuplicate { logger.debug("Ticked", metadata: ["at": "\(tick.at.iso8601)"]) }
    }

    static func floor(_ date: Date, to interval: Duration) -> Date {
        let step = max(0.001, interval / .seconds(1))
        return Date(timeIntervalSince1970: (date.timeIntervalSince1970 / step).rounded(.down) * step)
    }
}

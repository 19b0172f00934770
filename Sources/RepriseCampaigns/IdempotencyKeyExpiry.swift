import Logging
import RepriseEventLog
import ServiceLifecycle

/// Forgets idempotency keys older than the retention (`api.idempotency-retention`), so the
/// table holds about one retention's worth of keys whatever the traffic.
///
/// Deletes in small batches (each skips keys another transaction holds, so it never waits
/// on an append or blocks one), batch after batch until a short one, then sleeps.
public final class IdempotencyKeyExpiry: Service {
    private let store: any IdempotencyKeyStore
    private let retention: Duration
    private let interval: Duration
    private let batchSize: Int
    private let logger: Logger

    public init(
        store: any IdempotencyKeyStore, retention: Duration, interval: Duration = .seconds(60), batchSize: Int = 1_000, logger: Logger
    ) {
        self.store = store
        self.retention = retention
        self.interval = interval
        self.batchSize = batchSize
        var logger = logger
        logger[metadataKey: "service"] = "idempotency-expiry"
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let expired = try await self.expireNow()
                    if expired > 0 { self.logger.debug("Idempotency keys expired", metadata: ["idempotency.expired": "\(expired)"]) }
                } catch {
                    self.logger.warning("Expiring idempotency keys failed; trying again later", metadata: ["error.message": "\(error)"])
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// Deletes every key past the retention, a batch at a time; returns how many went.
    @discardableResult
    public func expireNow() async throws(EventStoreError) -> Int {
        var total = 0
        while !Task.isCancelled {
            let expired = try await store.expireIdempotencyKeys(olderThan: retention, limit: batchSize)
            total += expired
            if expired < batchSize { break }
            // Let appends have the connection between batches.
            await Task.yield()
        }
        return total
    }
}

import Foundation
import Logging
import NATS
import Postgres
import RepriseDomain
import RepriseProjectionCore
import RepriseProjections
import RepriseScoring
import Synchronization

/// Keeps the NATS key-value bucket of scores equal to the live model.
///
/// The bucket holds one value per track × market × surface (`PublishedScore.value`), under
/// `<market>.<surface>.<track>`, and republishes every change on `<prefix>.<key>` for
/// plain subscribers. An ineligible promotion's key is deleted, not left stale. A value
/// is only written when it differs from what the bucket holds, so a watcher sees each
/// change once, in the order the model made them. A batch's writes go out together and
/// their acks are awaited together.
///
/// After any failure the bucket holds an unknown subset of the writes, so the next call
/// reads the bucket back and writes the differences (the projector passes nil after a
/// failure anyway). The same happens when the bucket's revisions go backwards: the server
/// lost writes it had acked (a nats-server killed before syncing its tail, or a recreated
/// bucket).
public final class ScorePublisher: ProjectionPublisher {
    public struct Configuration: Sendable {
        public var bucket: String
        /// Changes are republished on `<subjectPrefix>.<market>.<surface>.<track>`.
        public var subjectPrefix: String
        /// How long one batch of writes waits for its acks. Default 5 s.
        public var ackTimeout: Duration

        public init(bucket: String = "scores", subjectPrefix: String = "scores", ackTimeout: Duration = .seconds(5)) {
            self.bucket = bucket
            self.subjectPrefix = subjectPrefix
            self.ackTimeout = ackTimeout
        }
    }

    /// What the bucket holds, as far as this publisher wrote or read it.
    private struct Published {
        var values: [String: [UInt8]]
        /// The highest revision the bucket acked or showed; a later write acked at or below
        /// it means the bucket lost revisions.
        var revision: UInt64
    }

    private let jetStream: JetStreamContext
    private let configuration: Configuration
    private let logger: Logger
    /// nil until the first full reconciliation, and again after any failure.
    private let published = Mutex<Published?>(nil)
    /// The open bucket, kept between batches (opening it is a round trip); dropped after
    /// any failure and on every full reconciliation, so a recreated bucket is found.
    private let openBucket = Mutex<KeyValueBucket?>(nil)

    public init(jetStream: JetStreamContext, configuration: Configuration = .init(), logger: Logger) {
        self.jetStream = jetStream
        self.configuration = configuration
        self.logger = logger
    }

    /// Opens the bucket, creating it (with republishing) when missing.
    public func bucket() async throws -> KeyValueBucket {
        do {
            return try await jetStream.keyValue(bucket: configuration.bucket)
        } catch let error as NATSError where error.code == .notFound || error.code == .streamNotFound {
            return try await jetStream.createKeyValue(KeyValueConfiguration(
                bucket: configuration.bucket, history: 1, rePublishDestination: configuration.subjectPrefix + ".>"
            ))
        }
    }

    /// Publishes the current best score of each key in `keys` (`ScoreKey.marked`;
    /// everything when nil).
    public func publish(_ keys: Set<String>?, generation: Int, on pool: PostgresConnectionPool) async throws {
        do {
            try await publishChanges(keys.map { Set($0.compactMap(ScoreKey.init(marked:))) }, generation: generation, on: pool)
        } catch {
            openBucket.withLock { $0 = nil }
            published.withLock { $0 = nil }
            throw error
        }
    }

    private func publishChanges(_ keys: Set<ScoreKey>?, generation: Int, on pool: PostgresConnectionPool) async throws {
        let bucket: KeyValueBucket
        if keys != nil, let open = openBucket.withLock({ $0 }) {
            bucket = open
        } else {
            bucket = try await self.bucket()
            openBucket.withLock { $0 = bucket }
        }
        guard let keys, let known = published.withLock({ $0 }) else {
            try await reconcile(bucket, generation: generation, on: pool)
            return
        }
        let best = try await Self.bestScores(for: keys, generation: generation, on: pool)
        var writes: [KeyValueWrite] = []
        // Each bucket key is escaped once, not once per comparison of the sort.
        for bucketKey in keys.map(\.bucketKey).sorted() {
            if let score = best[bucketKey] {
                if known.values[bucketKey] != score.value { writes.append(.put(key: bucketKey, value: score.value)) }
            } else if known.values[bucketKey] != nil {
                writes.append(.delete(key: bucketKey))
            }
        }
        guard !writes.isEmpty else { return }
        let revisions = try await write(writes, to: bucket)
        if let lowest = revisions.values.min(), lowest <= known.revision {
            logger.warning("The score bucket lost revisions it had acked; reconciling", metadata: [
                "bucket": "\(configuration.bucket)", "revision.known": "\(known.revision)", "revision.acked": "\(lowest)",
            ])
            published.withLock { $0 = nil }
            try await reconcile(bucket, generation: generation, on: pool)
            return
        }
        var updated = known
        for write in writes {
            switch write {
            case .put(let key, let value): updated.values[key] = value
            case .delete(let key): updated.values[key] = nil
            }
        }
        updated.revision = max(known.revision, revisions.values.max() ?? 0)
        published.withLock { [updated] in $0 = updated }
    }

    /// Makes the bucket equal to the model: reads what it holds, writes the differences.
    private func reconcile(_ bucket: KeyValueBucket, generation: Int, on pool: PostgresConnectionPool) async throws {
        var held: [String: [UInt8]] = [:]
        var revision: UInt64 = 0
        let watch = try await bucket.watch()
        for try await event in watch {
            guard case .entry(let entry) = event else { break }
            revision = max(revision, entry.revision)
            if entry.operation == .put { held[entry.key] = entry.value } else { held[entry.key] = nil }
        }
        watch.stop()
        let model = try await Self.bestScores(for: nil, generation: generation, on: pool)
        var writes: [KeyValueWrite] = []
        for (key, score) in model.sorted(by: { $0.key < $1.key }) where held[key] != score.value {
            writes.append(.put(key: key, value: score.value))
        }
        for key in held.keys.sorted() where model[key] == nil {
            writes.append(.delete(key: key))
        }
        let revisions = try await write(writes, to: bucket)
        published.withLock { $0 = Published(values: model.mapValues(\.value), revision: max(revision, revisions.values.max() ?? 0)) }
        logger.info("Score bucket reconciled", metadata: [
            "bucket": "\(configuration.bucket)", "keys": "\(model.count)", "writes": "\(writes.count)",
        ])
    }

    /// Writes a batch; returns each key's revision, or throws if any write failed.
    private func write(_ writes: [KeyValueWrite], to bucket: KeyValueBucket) async throws -> [String: UInt64] {
        let result = try await bucket.write(writes, timeout: configuration.ackTimeout)
        guard let failure = result.failures.min(by: { $0.key < $1.key }) else { return result.revisions }
        throw ScorePublishError(
            code: .writesFailed,
            message: "\(result.failures.count) of \(writes.count) score writes failed, e.g. \(failure.key): \(failure.value)"
        )
    }

    /// The published score per bucket key, for `keys` or for all.
    static func bestScores(
        for keys: Set<ScoreKey>?, generation: Int, on pool: PostgresConnectionPool
    ) async throws -> [String: PublishedScore] {
        let table = PromotionScoresProjection().table(named: PromotionScoresProjection.Table.scores)!.physicalName(generation: generation)
        let columns = ScoreQueries.promotionColumns
        let rows: PostgresRows
        if let keys {
            let sorted = keys.sorted { ($0.market, $0.surface, $0.track) < ($1.market, $1.surface, $1.track) }
            rows = try await pool.query("""
                SELECT \(columns) FROM \(table)
                WHERE (market, surface, track) IN (
                    SELECT * FROM unnest(\(sorted.map(\.market))::text[], \(sorted.map(\.surface))::text[], \(sorted.map(\.track))::text[])
                )
                """)
        } else {
            rows = try await pool.query("SELECT \(columns) FROM \(table)")
        }
        return try ScoreQueries.bestByKey(rows)
    }
}

/// A batch of score writes that the bucket did not (or may not) have stored.
public struct ScorePublishError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Some writes of a batch failed or went unacked; the bucket holds an unknown subset.
        public static let writesFailed = Code(rawValue: "writes_failed")
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "score publication \(code): \(message)" }
}

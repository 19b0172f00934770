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
/// change once, in the order the model made them.
public final class ScorePublisher: ProjectionPublisher {
    public struct Configuration: Sendable {
        public var bucket: String
        /// Changes are republished on `<subjectPrefix>.<market>.<surface>.<track>`.
        public var subjectPrefix: String

        public init(bucket: String = "scores", subjectPrefix: String = "scores") {
            self.bucket = bucket
            self.subjectPrefix = subjectPrefix
        }
    }

    private let jetStream: JetStreamContext
    private let configuration: Configuration
    private let logger: Logger
    /// What the bucket holds, by key; nil until the first full reconciliation.
    private let published = Mutex<[String: [UInt8]]?>(nil)
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
        let known = published.withLock { $0 }
        guard let keys, var known else {
            try await reconcile(bucket, generation: generation, on: pool)
            return
        }
        let best = try await Self.bestScores(for: keys, generation: generation, on: pool)
        for key in keys.sorted(by: { $0.bucketKey < $1.bucketKey }) {
            let bucketKey = key.bucketKey
            if let score = best[bucketKey] {
                guard known[bucketKey] != score.value else { continue }
                _ = try await bucket.put(key: bucketKey, value: score.value)
                known[bucketKey] = score.value
            } else if known[bucketKey] != nil {
                try await bucket.delete(key: bucketKey)
                known[bucketKey] = nil
            }
            // Keep what was done so far even if a later key fails.
            published.withLock { [known] in $0 = known }
        }
    }

    /// Makes the bucket equal to the model: reads what it holds, writes the differences.
    private func reconcile(_ bucket: KeyValueBucket, generation: Int, on pool: PostgresConnectionPool) async throws {
        var held: [String: [UInt8]] = [:]
        let watch = try await bucket.watch()
        for try await event in watch {
            guard case .entry(let entry) = event else { break }
            if entry.operation == .put { held[entry.key] = entry.value } else { held[entry.key] = nil }
        }
        watch.stop()
        let model = try await Self.bestScores(for: nil, generation: generation, on: pool)
        var puts = 0, deletes = 0
        for (key, score) in model.sorted(by: { $0.key < $1.key }) where held[key] != score.value {
            _ = try await bucket.put(key: key, value: score.value)
            puts += 1
        }
        for key in held.keys.sorted() where model[key] == nil {
            try await bucket.delete(key: key)
            deletes += 1
        }
        published.withLock { $0 = model.mapValues(\.value) }
        logger.info("Score bucket reconciled", metadata: [
            "bucket": "\(configuration.bucket)", "keys": "\(model.count)", "puts": "\(puts)", "deletes": "\(deletes)",
        ])
    }

    /// The published score per bucket key, for `keys` or for all.
    static func bestScores(
        for keys: Set<ScoreKey>?, generation: Int, on pool: PostgresConnectionPool
    ) async throws -> [String: PublishedScore] {
        let table = PromotionScoresProjection().table(named: PromotionScoresProjection.Table.scores)!.physicalName(generation: generation)
        let columns = ScoreQueries.promotionColumns
        let rows: PostgresRows
        if let keys {
            let sorted = keys.sorted { $0.bucketKey < $1.bucketKey }
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

import Crypto
import Foundation
import Logging
import Postgres
import RepriseDomain
import RepriseEventLog
import RepriseEventStore
import RepriseProjectionCore
import RepriseRuntime

/// Blue/green rebuilds and verification of one projection.
///
/// A rebuild fills the next generation's tables beside the live ones by reading the log
/// straight from Postgres in large pages, then, holding the registry row so no live batch
/// runs meanwhile, applies the last few events and makes the new generation live, in one
/// transaction. Readers look up the live generation per query, so they see the old model
/// or the new one, never a half-built one, and never none.
///
/// The catch-up reads Postgres rather than the stream: every event the stream holds was
/// numbered in Postgres first, so Postgres is never behind the stream and is the faster
/// read.
///
/// The fill runs the same fold as the live projector over pages of the log. It keeps the
/// rows it folded in memory across pages and writes them back only when it holds more
/// than `maxResidentRows` keys (then it forgets them and loads what it needs again) or
/// when the log ends: memory stays bounded, and a key changed by a thousand events is
/// written once.
public struct ProjectionRebuilder<P: Projection>: Sendable {
    public let projection: P
    private let pool: PostgresConnectionPool
    private let logger: Logger
    private let pageSize: Int
    private let maxResidentRows: Int
    private let progress: (@Sendable (RebuildProgress) -> Void)?

    public init(
        projection: P, pool: PostgresConnectionPool, pageSize: Int = 5000, maxResidentRows: Int = 200_000,
        progress: (@Sendable (RebuildProgress) -> Void)? = nil, logger: Logger
    ) {
        self.projection = projection
        self.pool = pool
        self.pageSize = pageSize
        self.maxResidentRows = maxResidentRows
        self.progress = progress
        self.logger = logger
    }

    public typealias RebuildReport = ProjectionRebuildReport
    public typealias VerifyReport = ProjectionVerifyReport

    private var applier: ProjectionApplier<P> {
        ProjectionApplier(projection: projection, metrics: nil, logger: logger, pageSize: pageSize)
    }

    /// Builds a new generation from the log and swaps it in.
    public func rebuild() async throws -> RebuildReport {
        _ = try await ProjectionLedger.ensureRegistered(projection, on: pool)
        let generation = try await pool.withTransaction { connection in
            let generation = try await ProjectionLedger.nextGeneration(of: projection.name, on: connection)
            try await ProjectionLedger.createGeneration(generation, of: projection, on: connection)
            return generation
        }
        logger.info("Rebuilding", metadata: ["projection": "\(projection.name)", "generation": "\(generation)"])
        do {
            let bulk = try await fill(generation: generation, upTo: nil)
            if let stopped = bulk.fold.stoppedAt {
                throw ProjectionError(code: .stoppedAtPoison, message: "the rebuild of \(projection.name) stopped at poison event \(stopped)")
            }
            let (previous, tail) = try await pool.withTransaction { connection in
                guard let previous = try await ProjectionLedger.liveGeneration(of: projection.name, on: connection, lock: .update) else {
                    throw ProjectionError(code: .unknownProjection, message: "\(projection.name) is not registered")
                }
                let liveCheckpoint = try await ProjectionLedger.checkpoint(of: projection.name, generation: previous, on: connection)
                let numbered = try await EventSequence.lastAssigned(on: connection)
                let tail = try await applier.apply(
                    through: max(liveCheckpoint, numbered), provided: [:], generation: generation, on: connection
                )
                if let stopped = tail.fold.stoppedAt {
                    throw ProjectionError(code: .stoppedAtPoison, message: "the rebuild of \(projection.name) stopped at poison event \(stopped)")
                }
                try await connection.query(
                    "UPDATE projections SET live_generation = \(generation), swapped_at = now() WHERE name = \(projection.name)"
                )
                return (previous, tail)
            }
            try await pool.withTransaction { try await ProjectionLedger.dropGeneration(previous, of: projection, on: $0) }
            return RebuildReport(
                previousGeneration: previous, generation: generation, checkpoint: tail.checkpoint,
                eventsApplied: bulk.fold.applied + tail.fold.applied,
                deadLetters: bulk.fold.deadLetters.count + tail.fold.deadLetters.count
            )
        } catch {
            try? await pool.withTransaction { try await ProjectionLedger.dropGeneration(generation, of: projection, on: $0) }
            throw error
        }
    }

    /// Rebuilds into a shadow generation at exactly the live checkpoint and compares
    /// every table with the live model. The shadow is dropped afterwards.
    public func verify() async throws -> VerifyReport {
        let live = try await ProjectionLedger.ensureRegistered(projection, on: pool)
        let startCheckpoint = try await ProjectionLedger.checkpoint(of: projection.name, generation: live, on: pool)
        let shadow = try await pool.withTransaction { connection in
            let generation = try await ProjectionLedger.nextGeneration(of: projection.name, on: connection)
            try await ProjectionLedger.createGeneration(generation, of: projection, on: connection)
            return generation
        }
        // Dropped before returning, not in a detached task: `reprise projection verify`
        // exits right after, and a shadow left behind would linger as a generation.
        let report: VerifyReport
        do {
            report = try await compare(shadow: shadow, after: startCheckpoint)
        } catch {
            try? await pool.withTransaction { try await ProjectionLedger.dropGeneration(shadow, of: projection, on: $0) }
            throw error
        }
        try await pool.withTransaction { try await ProjectionLedger.dropGeneration(shadow, of: projection, on: $0) }
        return report
    }

    /// Fills `shadow` up to `startCheckpoint`, then, holding the registry row, catches it
    /// up to the live checkpoint and compares the two table by table.
    private func compare(shadow: Int, after startCheckpoint: UInt64) async throws -> VerifyReport {
        _ = try await fill(generation: shadow, upTo: startCheckpoint)
        return try await pool.withTransaction { connection in
            // Holding the registry row: the live model cannot move while we compare.
            guard let live = try await ProjectionLedger.liveGeneration(of: projection.name, on: connection, lock: .update) else {
                throw ProjectionError(code: .unknownProjection, message: "\(projection.name) is not registered")
            }
            let checkpoint = try await ProjectionLedger.checkpoint(of: projection.name, generation: live, on: connection)
            _ = try await applier.apply(through: checkpoint, provided: [:], generation: shadow, on: connection)
            var digests: [VerifyReport.TableDigest] = []
            var firstDifference: (table: String, live: String?, rebuilt: String?)?
            for table in projection.tables {
                let liveRows = try await rows(of: table, generation: live, on: connection)
                let shadowRows = try await rows(of: table, generation: shadow, on: connection)
                digests.append(.init(
                    table: table.name, live: digest(liveRows), rebuilt: digest(shadowRows), rows: liveRows.count
                ))
                if firstDifference == nil, liveRows != shadowRows {
                    let index = zip(liveRows, shadowRows).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                        ?? min(liveRows.count, shadowRows.count)
                    firstDifference = (
                        table.name,
                        index < liveRows.count ? liveRows[index] : nil,
                        index < shadowRows.count ? shadowRows[index] : nil
                    )
                }
            }
            return VerifyReport(checkpoint: checkpoint, tables: digests, firstDifference: firstDifference)
        }
    }

    /// Fills a fresh generation from the log up to `limit` (everything numbered when nil).
    private func fill(generation: Int, upTo limit: UInt64?) async throws -> ProjectionApplier<P>.Outcome {
        var totalEvents = limit ?? 0
        if limit == nil { totalEvents = try await EventSequence.lastAssigned(on: pool) }
        let clock = ContinuousClock()
        let started = clock.now
        var lastReport = started
        var rowsWritten = 0
        let fold = try await ProjectionFill(projection: projection, pageSize: pageSize, maxResidentRows: maxResidentRows).run(
            after: 0,
            readPage: { after, size in
                var page = try await EventSequence.read(after: after, limit: size, on: pool)
                if let limit { page.removeAll { $0.globalSequence > limit } }
                return page
            },
            source: { PostgresRowSource(executor: pool, generation: generation) },
            flush: { changes, deadLetters, checkpoint in
                rowsWritten += try await pool.withTransaction { connection in
                    let written = try await ProjectionWriter.write(changes, of: projection, generation: generation, on: connection)
                    try await applier.record(deadLetters, on: connection)
                    try await ProjectionLedger.setCheckpoint(checkpoint, of: projection.name, generation: generation, on: connection)
                    return written
                }
                applier.reportCommitted(deadLetters)
            },
            progress: { checkpoint in
                guard let progress, clock.now - lastReport > .seconds(1) else { return }
                lastReport = clock.now
                progress(RebuildProgress(done: checkpoint, total: totalEvents, elapsed: clock.now - started))
            }
        )
        progress?(RebuildProgress(done: fold.checkpoint, total: totalEvents, elapsed: clock.now - started))
        var outcome = ProjectionApplier<P>.Outcome(fold: fold)
        outcome.rowsWritten = rowsWritten
        return outcome
    }

    /// Every row as Postgres prints it, in primary key order.
    private func rows(of table: ProjectionTable, generation: Int, on connection: PostgresConnection) async throws -> [String] {
        let physical = table.physicalName(generation: generation)
        let result = try await connection.query("SELECT t::text FROM \(physical) t ORDER BY \(table.orderBy)")
        return try result.map { try $0.decode(String.self, at: 0) }
    }

    private func digest(_ rows: [String]) -> String {
        var hasher = SHA256()
        for row in rows {
            hasher.update(data: Array(row.utf8))
            hasher.update(data: [0x0A])
        }
        return Hex.encode(hasher.finalize())
    }
}


/// What a rebuild did.
public struct ProjectionRebuildReport: Sendable {
    public let previousGeneration: Int
    public let generation: Int
    public let checkpoint: UInt64
    public let eventsApplied: Int
    public let deadLetters: Int
}

/// How the live model compares with a shadow rebuild.
public struct ProjectionVerifyReport: Sendable {
    public struct TableDigest: Sendable {
        public let table: String
        public let live: String
        public let rebuilt: String
        public let rows: Int
        public var matches: Bool { live == rebuilt }
    }

    public let checkpoint: UInt64
    public let tables: [TableDigest]
    /// The first row (in primary key order) that differs, as each side prints it.
    public let firstDifference: (table: String, live: String?, rebuilt: String?)?
    public var matches: Bool { tables.allSatisfy(\.matches) }
}

/// A rebuilder whatever its projection's type, for callers that pick the projection by name.
public protocol ProjectionRebuilding: Sendable {
    func rebuild() async throws -> ProjectionRebuildReport
    func verify() async throws -> ProjectionVerifyReport
}

extension ProjectionRebuilder: ProjectionRebuilding {}

/// How far a rebuild got: events folded of those numbered when it started.
public struct RebuildProgress: Sendable {
    public let done: UInt64
    public let total: UInt64
    public let elapsed: Duration

    public init(done: UInt64, total: UInt64, elapsed: Duration) {
        self.done = done
        self.total = total
        self.elapsed = elapsed
    }

    /// Events per second so far.
    public var rate: Double {
        elapsed.seconds > 0 ? Double(done) / elapsed.seconds : 0
    }

    /// Seconds left at the rate so far; nil before there is a rate.
    public var remainingSeconds: Double? {
        guard rate > 0, total > done else { return rate > 0 ? 0 : nil }
        return Double(total - done) / rate
    }
}

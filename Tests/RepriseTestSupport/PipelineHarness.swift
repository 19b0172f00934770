import Foundation
import Logging
import NATS
import Postgres
import Prometheus
import RepriseEventLog
import RepriseEventStore
import RepriseRelay
import RepriseRuntime

/// A migrated schema, an event store on it, and a JetStream stream name and subject
/// prefix of the test's own: what relay and projector tests start from.
public struct PipelineHarness: Sendable {
    public let pool: PostgresConnectionPool
    public let database: MigratedDatabase
    public let store: PostgresEventStore
    public let jetStream: JetStreamContext
    public let configuration: RelayConfiguration
    public let logger: Logger

    public static func with(_ body: (PipelineHarness) async throws -> Void) async throws {
        try await MigratedDatabase.with { pool, database in
            try await NATSConnection.withConnection(url: TestEnvironment.natsURL, name: "relay-tests", logger: database.logger) { connection in
                let name = TestEnvironment.uniqueName("E")
                let configuration = RelayConfiguration(
                    streamName: name, subjectPrefix: name.lowercased(), batchSize: 50,
                    pollInterval: .milliseconds(200), streamCheckInterval: .milliseconds(300),
                    leaderRetryInterval: .milliseconds(100), publishTimeout: .seconds(5),
                    haltedRecheckInterval: .milliseconds(200)
                )
                let jetStream = try connection.jetStream()
                let harness = PipelineHarness(
                    pool: pool, database: database, store: PostgresEventStore(pool: pool, logger: database.logger),
                    jetStream: jetStream, configuration: configuration, logger: database.logger
                )
                do {
                    try await body(harness)
                } catch {
                    try? await jetStream.deleteStream(name: name)
                    throw error
                }
                try? await jetStream.deleteStream(name: name)
            }
        }
    }

    public func makeRelay(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) -> Relay {
        Relay(
            postgres: PostgresConfiguration(url: database.url), jetStream: jetStream, configuration: configuration,
            metrics: RelayMetrics(registry: registry), logger: logger
        )
    }

    /// Numbers the next `count` events as the relay would, waiting while other tests' open
    /// transactions hold the visibility horizon back (below it no event can be numbered).
    public func number(_ count: Int) async throws -> [SequencedEvent] {
        var numbered: [SequencedEvent] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while numbered.count < count {
            numbered += try await EventSequence.assignNext(limit: count - numbered.count, on: pool)
            guard numbered.count < count else { break }
            guard ContinuousClock.now < deadline else {
                throw HarnessTimeout(description: "only \(numbered.count) of \(count) events could be numbered")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return numbered
    }

    /// Runs a relay while `body` runs, then stops it.
    public func withRelay(_ body: () async throws -> Void) async throws {
        try await whileRunning(makeRelay().runUntilCancelled, body)
    }

    /// Appends `count` single-event commands to `streams` streams, round robin.
    public func append(_ count: Int, streams: Int = 3, type: String = "test.happened") async throws {
        for index in 0..<count {
            try await store.append(AppendRequest(
                commandID: UUID().uuidString,
                streams: [StreamAppend(
                    streamID: StreamID("s-\(index % streams)"), expectedVersion: .any,
                    events: [NewEvent(eventID: UUID(), type: type, schemaVersion: 1, data: Array(#"{"n": \#(index)}"#.utf8))]
                )],
                metadata: EventMetadata(correlationID: UUID(), actor: "relay test ✓")
            ))
        }
    }

    /// The stream's last sequence, 0 when it does not exist yet.
    public func streamTail() async throws -> UInt64 {
        try await Self.streamTail(of: configuration.streamName, on: jetStream)
    }

    /// The last sequence of `stream`, 0 when it does not exist yet.
    public static func streamTail(of stream: String, on jetStream: JetStreamContext) async throws -> UInt64 {
        do {
            return try await jetStream.streamInfo(name: stream).state.lastSequence
        } catch let error as NATSError where error.code == .streamNotFound || error.code == .notFound {
            return 0
        }
    }

    /// Waits (up to a generous deadline, so a slow machine only makes it slower) until
    /// the stream holds `count` messages.
    public func waitForStream(toReach count: UInt64) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try await streamTail() < count {
            guard ContinuousClock.now < deadline else {
                throw HarnessTimeout(description: "the stream reached only \(try await streamTail()) of \(count) messages")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// How the stream differs from the log as Postgres numbered it; empty when message N
    /// is event N for every N, decoded exactly, and the numbering follows the log's order.
    public func streamMismatches() async throws -> [String] {
        try await Self.streamMismatches(stream: configuration.streamName, jetStream: jetStream, pool: pool, store: store)
    }

    /// How `stream` differs from the log in `pool`'s schema, as `streamMismatches()` reports
    /// it: for tests that run the relay elsewhere (another process, another server).
    public static func streamMismatches(
        stream: String, jetStream: JetStreamContext, pool: PostgresConnectionPool, store: PostgresEventStore
    ) async throws -> [String] {
        var mismatches: [String] = []
        let tail = try await streamTail(of: stream, on: jetStream)
        let log = try await EventSequence.read(after: 0, limit: 1_000_000, on: pool)
        if UInt64(log.count) != tail {
            mismatches.append("the stream holds \(tail) messages, Postgres numbered \(log.count) events")
        }
        for expected in log where expected.globalSequence <= tail {
            let message = try await jetStream.getMessage(stream: stream, sequence: expected.globalSequence)
            let decoded = try EventMessage.decode(
                subject: message.subject, headers: message.headers, payload: message.payload, streamSequence: message.sequence
            )
            if decoded != expected { mismatches.append("message \(expected.globalSequence) is not event \(expected.globalSequence)") }
        }
        let ordered = try await store.readLog(after: nil, limit: 1_000_000).events
        if ordered.map(\.eventID) != log.map(\.event.eventID) {
            mismatches.append("the numbering does not follow the log's stable order")
        }
        return mismatches
    }
}

/// A wait in a test harness gave up.
public struct HarnessTimeout: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// Runs `service` (a `runUntilCancelled`) beside `body`, then cancels it and waits for it.
/// The service's own error fails the call, so a test never throws away what its relay or
/// projector reported; an error it throws because it was cancelled (a query cut short)
/// does not.
public func whileRunning<R: Sendable>(
    _ service: @escaping @Sendable () async throws -> Void, _ body: () async throws -> R
) async throws -> R {
    try await withBackground({
        do {
            try await service()
        } catch where Task.isCancelled {
            return
        }
    }, body)
}

import Foundation
import Logging
import NATS
import Postgres

/// The raw rates of this machine through the two drivers, with nothing of Reprise on top.
///
/// Later benchmarks (`bench store`, `bench api`, `bench pipeline`) run the figures they
/// need from here in the same process and report their own speed as a ratio to them,
/// because absolute numbers on a shared 2-core machine swing by ±30% between runs.
public struct DriverBenchmarks: Sendable {
    public struct Options: Sendable {
        public var postgresURL: String
        public var natsURL: String
        /// Multiplies every operation count; below 1 for a quick smoke run.
        public var scale: Double

        public init(postgresURL: String, natsURL: String, scale: Double = 1) {
            self.postgresURL = postgresURL
            self.natsURL = natsURL
            self.scale = scale
        }

        func count(_ base: Int) -> Int { scaledCount(base, by: scale) }
    }

    /// Figure names, so other benchmarks can name their baseline.
    public enum Name {
        public static let insertOneConnection = "pg insert 1 row, autocommit, 1 conn"
        public static let insertSixteenConnections = "pg insert 1 row, autocommit, 16 conns"
        public static let insertBatch = "pg insert 100-row batches"
        public static let copy = "pg COPY"
        public static let keysetRead = "pg keyset read, 5000-row pages"
        public static let publishAsync = "js async publish with msg id"
        public static let pullConsume = "js pull consume, ack each"
    }

    let options: Options
    let logger: Logger

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    public func run() async throws -> [BenchResult] {
        try await postgres() + nats()
    }

    /// The Postgres figures, against a scratch schema that is dropped afterwards.
    public func postgres() async throws -> [BenchResult] {
        let scratch = try await ScratchSchema.create(url: options.postgresURL, logger: logger)
        do {
            var results: [BenchResult] = []
            results.append(try await singleRowInserts(scratch, connections: 1, rows: options.count(3_000), name: Name.insertOneConnection))
            results.append(try await singleRowInserts(scratch, connections: 16, rows: options.count(8_000), name: Name.insertSixteenConnections))
            results.append(try await batchedInserts(scratch, batches: options.count(500)))
            results.append(try await copy(scratch, rows: options.count(200_000)))
            results.append(try await keysetRead(scratch))
            try await scratch.drop()
            return results
        } catch {
            try? await scratch.drop()
            throw error
        }
    }

    private func singleRowInserts(_ scratch: ScratchSchema, connections: Int, rows: Int, name: String) async throws -> BenchResult {
        let insert = PostgresPreparedStatement(
            name: "bench_insert_one",
            sql: "INSERT INTO \(scratch.table) (stream_id, version, type, data) VALUES ($1, $2, $3, $4::jsonb)"
        )
        let perConnection = max(1, rows / connections)
        let clock = ContinuousClock()
        let started = clock.now
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for worker in 0..<connections {
                group.addTask {
                    try await scratch.withConnection { connection in
                        var latencies: [Duration] = []
                        latencies.reserveCapacity(perConnection)
                        for index in 0..<perConnection {
                            let binds: PostgresBindings = ["bench-\(worker)-\(index)", 1, "BenchEvent", Payload.json(index)]
                            let start = clock.now
                            try await connection.execute(insert, binds)
                            latencies.append(clock.now - start)
                        }
                        return latencies
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = clock.now - started
        return BenchResult(name: name, unit: "row", operations: latencies.count, seconds: elapsed.seconds, latencies: latencies)
    }

    /// 100 rows per statement and transaction: the shape of a 100-event append.
    private func batchedInserts(_ scratch: ScratchSchema, batches: Int) async throws -> BenchResult {
        try await scratch.withConnection { connection in
            let clock = ContinuousClock()
            let started = clock.now
            var latencies: [Duration] = []
            for batch in 0..<batches {
                let indices = Array(0..<100)
                let streams = indices.map { "batch-\(batch)-\($0)" }
                let versions = indices.map { _ in 1 }
                let types = indices.map { _ in "BenchEvent" }
                let data = indices.map(Payload.json)
                let start = clock.now
                try await connection.query("""
                    INSERT INTO \(identifier: scratch.schema).events (stream_id, version, type, data)
                    SELECT s, v::int, t, d::jsonb FROM unnest(\(streams), \(versions), \(types), \(data)) AS u(s, v, t, d)
                    """)
                latencies.append(clock.now - start)
            }
            let elapsed = clock.now - started
            return BenchResult(
                name: Name.insertBatch, unit: "row", operations: batches * 100, seconds: elapsed.seconds, latencies: latencies
            )
        }
    }

    private func copy(_ scratch: ScratchSchema, rows: Int) async throws -> BenchResult {
        let values = (0..<rows).lazy.map { index -> [PostgresCopyValue] in
            [PostgresCopyValue("copy-\(index)"), 1, "BenchEvent", PostgresCopyValue(Payload.json(index))]
        }
        return try await scratch.withConnection { connection in
            let clock = ContinuousClock()
            let started = clock.now
            let copied = try await connection.copyFrom(
                table: "events", schema: scratch.schema, columns: ["stream_id", "version", "type", "data"], rows: values
            )
            let elapsed = clock.now - started
            return BenchResult(name: Name.copy, unit: "row", operations: copied, seconds: elapsed.seconds)
        }
    }

    /// Reads every row the earlier figures wrote, in pages of 5,000 by primary key.
    private func keysetRead(_ scratch: ScratchSchema) async throws -> BenchResult {
        let page = PostgresPreparedStatement(
            name: "bench_keyset_page",
            sql: "SELECT id, stream_id, version, type, data FROM \(scratch.table) WHERE id > $1 ORDER BY id LIMIT 5000"
        )
        return try await scratch.withConnection { connection in
            let clock = ContinuousClock()
            let started = clock.now
            var after: Int64 = 0
            var read = 0
            while true {
                let rows = try await connection.execute(page, [after])
                guard let last = rows.last else { break }
                read += rows.count
                after = try last.decode(Int64.self, at: 0)
            }
            let elapsed = clock.now - started
            return BenchResult(name: Name.keysetRead, unit: "row", operations: read, seconds: elapsed.seconds)
        }
    }

    /// The JetStream figures, against a scratch stream that is deleted afterwards.
    public func nats() async throws -> [BenchResult] {
        try await NATSConnection.withConnection(url: options.natsURL, name: "reprise-bench", logger: logger) { connection in
            let jetStream = try connection.jetStream()
            let stream = "BENCH_\(UInt32.random(in: 0...UInt32.max))"
            let subject = stream.lowercased()
            _ = try await jetStream.createStream(StreamConfiguration(name: stream, subjects: ["\(subject).>"]))
            do {
                let messages = options.count(100_000)
                let publish = try await asyncPublish(jetStream, subject: subject, messages: messages)
                let consume = try await pullConsume(jetStream, stream: stream, messages: messages)
                try await jetStream.deleteStream(name: stream)
                return [publish, consume]
            } catch {
                try? await jetStream.deleteStream(name: stream)
                throw error
            }
        }
    }

    private func asyncPublish(_ jetStream: JetStreamContext, subject: String, messages: Int) async throws -> BenchResult {
        let payloads = (0..<messages).map { Array(Payload.json($0).utf8) }
        let clock = ContinuousClock()
        let started = clock.now
        for (index, payload) in payloads.enumerated() {
            try jetStream.publishAsync(subject: "\(subject).event", payload: payload, messageID: "bench-\(index)")
        }
        let outcome = try await jetStream.waitForPublishes(timeout: .seconds(60))
        let elapsed = clock.now - started
        guard outcome.failures.isEmpty else {
            throw BenchError("\(outcome.failures.count) of \(messages) async publishes failed; first: \(outcome.failures[0].error)")
        }
        return BenchResult(name: Name.publishAsync, unit: "message", operations: outcome.acks.count, seconds: elapsed.seconds)
    }

    private func pullConsume(_ jetStream: JetStreamContext, stream: String, messages: Int) async throws -> BenchResult {
        let durable = "bench_consumer"
        _ = try await jetStream.addConsumer(stream: stream, ConsumerConfiguration(durableName: durable, ackPolicy: .explicit))
        let subscription = try await jetStream.pullSubscribe(stream: stream, consumer: durable)
        let clock = ContinuousClock()
        let started = clock.now
        var consumed = 0
        var emptyFetches = 0
        while consumed < messages, emptyFetches < 10 {
            let batch = try await subscription.fetch(batch: 1000, timeout: .seconds(1))
            if batch.isEmpty { emptyFetches += 1 }
            for message in batch {
                try message.ack()
            }
            consumed += batch.count
        }
        let elapsed = clock.now - started
        await subscription.close()
        guard consumed == messages else {
            throw BenchError("pull consumer received \(consumed) of \(messages) messages")
        }
        return BenchResult(name: Name.pullConsume, unit: "message", operations: consumed, seconds: elapsed.seconds)
    }
}

/// A benchmark could not produce an honest figure.
public struct BenchError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// An event-shaped payload of about 100 bytes, like the spike's.
enum Payload {
    static func json(_ index: Int) -> String {
        #"{"campaignId":"c-\#(index % 977)","subcampaignId":"s-\#(index % 31)","budgetMinor":\#(index * 7 % 100_000),"currency":"EUR"}"#
    }
}

/// A throwaway schema with one event-shaped table, so benchmarks never touch real data.
struct ScratchSchema: Sendable {
    let url: String
    let schema: String
    let logger: Logger
    var table: String { "\"\(schema)\".events" }

    static func create(url: String, logger: Logger) async throws -> ScratchSchema {
        let schema = "bench_\(UInt32.random(in: 0...UInt32.max))"
        try await withConnection(url: url, logger: logger) { connection in
            try await connection.simpleQuery("""
            CREATE SCHEMA "\(schema)";
            CREATE TABLE "\(schema)".events (
                id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                stream_id   text NOT NULL,
                version     integer NOT NULL,
                type        text NOT NULL,
                data        jsonb NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now()
            );
            """)
        }
        return ScratchSchema(url: url, schema: schema, logger: logger)
    }

    func drop() async throws {
        try await withConnection { try await $0.simpleQuery("DROP SCHEMA \"\(schema)\" CASCADE") }
    }

    /// Runs `body` on a connection of its own, closed afterwards whatever happens.
    func withConnection<R: Sendable>(_ body: (PostgresConnection) async throws -> sending R) async throws -> sending R {
        try await Self.withConnection(url: url, logger: logger, body)
    }

    static func withConnection<R: Sendable>(
        url: String, logger: Logger, _ body: (PostgresConnection) async throws -> sending R
    ) async throws -> sending R {
        try await PostgresConnection.withConnection(PostgresConfiguration(url: url), logger: logger, body)
    }
}

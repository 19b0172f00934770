import Foundation
import Logging
import NATS
import Postgres
import Prometheus
import RepriseDomain
import RepriseEventLog
import RepriseEventStore
import RepriseMigrations
import ReprisePlatform
import RepriseProjections
import RepriseRelay
import RepriseScores
import RepriseScoring

/// The fan-out's speed, each figure beside its raw baseline measured in the same run:
/// the relay against raw JetStream async publishing, a projection rebuild against the
/// raw keyset read; and the latency from an accepted command to its score in the bucket.
public struct PipelineBenchmarks: Sendable {
    public struct Options: Sendable {
        public var postgresURL: String
        public var natsURL: String
        public var migrationsDirectory: String
        public var scale: Double
        /// Delivery reports per second of the end-to-end figures, each sent on schedule
        /// whatever the latency: one figure per rate.
        public var endToEndRates: [Int]

        /// Which groups of figures to run; every one by default.
        public var parts: Set<Part>

        public enum Part: String, CaseIterable, Sendable {
            case relay, rebuild, live, e2e
        }

        public init(
            postgresURL: String, natsURL: String, migrationsDirectory: String, scale: Double = 1, endToEndRates: [Int] = [500, 1_000],
            parts: Set<Part> = Set(Part.allCases)
        ) {
            self.parts = parts
            self.postgresURL = postgresURL
            self.natsURL = natsURL
            self.migrationsDirectory = migrationsDirectory
            self.scale = scale
            self.endToEndRates = endToEndRates
        }

        func count(_ base: Int) -> Int { scaledCount(base, by: scale) }
    }

    public enum Name {
        public static let relay = "relay: number and publish the log"
        public static let rebuild = "rebuild scores from the log"
        public static func liveApply(_ projection: String) -> String { "live apply: \(projection) projector, from the stream" }
        public static func endToEnd(_ rate: Int) -> String { "e2e: report 2xx -> score in KV watch, \(rate)/s" }
        public static let endToEndBeforePublish = "e2e part: report 2xx -> relay published"
        public static let endToEndCommand = "e2e part: report sent -> 2xx"
        public static let endToEndScheduleLag = "e2e: sends behind the open-loop schedule"
    }

    let options: Options
    let logger: Logger

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// The relay and rebuild figures (and their baselines), then end-to-end latency.
    public func run() async throws -> [BenchResult] {
        let drivers = DriverBenchmarks(
            options: .init(postgresURL: options.postgresURL, natsURL: options.natsURL, scale: options.scale), logger: logger
        )
        let raw = try await drivers.postgres() + drivers.nats()
        func baseline(_ name: String) -> BenchResult? { raw.first { $0.name == name } }

        var results = raw
        if !options.parts.isDisjoint(with: [.relay, .rebuild]) {
            results += try await MigratedScratch.with(options.postgresURL, migrations: options.migrationsDirectory, logger: logger) { pool, url in
                let store = PostgresEventStore(pool: pool, logger: logger)
                let events = try await CampaignLog.fill(store, campaigns: options.count(2_000))
                var figures: [BenchResult] = []
                if options.parts.contains(.relay) {
                    figures.append(try await relayThroughput(url: url, events: events, baseline: baseline(DriverBenchmarks.Name.publishAsync)))
                }
                if options.parts.contains(.rebuild) {
                    figures.append(try await rebuildSpeed(pool: pool, baseline: baseline(DriverBenchmarks.Name.keysetRead)))
                }
                return figures
            }
        }
        if options.parts.contains(.live) {
            results += try await liveApply(events: options.count(200_000), baseline: baseline(DriverBenchmarks.Name.pullConsume))
        }
        if options.parts.contains(.e2e) {
            for rate in options.endToEndRates { results += try await endToEndLatency(rate: rate) }
        }
        return results
    }

    /// From an unpublished log of `events` events to all of them acked in a fresh stream,
    /// with the relay as the platform runs it. The clock starts at the first message in the
    /// stream: the relay's connections, leader lock and stream creation are start-up, not
    /// throughput, just as the raw baseline's connection and stream are made before its clock
    /// starts. Only the events published after that are counted.
    private func relayThroughput(url: String, events: Int, baseline: BenchResult?) async throws -> BenchResult {
        let stream = "BENCH_RELAY_\(UInt32.random(in: 0...UInt32.max))"
        let configuration = PlatformConfiguration(
            components: [.relay], postgres: PostgresConfiguration(url: url), natsURL: options.natsURL,
            natsClientName: "reprise-bench-pipeline",
            relay: RelayConfiguration(streamName: stream, subjectPrefix: stream.lowercased(), batchSize: 2_000)
        )
        return try await Platform.withRunning(configuration, logger: logger) { platform in
            guard let jetStream = try platform.nats?.jetStream() else { throw BenchError("the relay has no NATS connection") }
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(300)
            var first: (at: ContinuousClock.Instant, tail: UInt64)?
            var tail: UInt64 = 0
            while tail < UInt64(events) {
                try await Task.sleep(for: .milliseconds(1))
                tail = (try? await jetStream.streamInfo(name: stream).state.lastSequence) ?? 0
                if first == nil, tail > 0, tail < UInt64(events) { first = (clock.now, tail) }
                guard clock.now < deadline else { throw BenchError("the relay published only \(tail) of \(events) events") }
            }
            let finished = clock.now
            try? await jetStream.deleteStream(name: stream)
            guard let first else { throw BenchError("the relay published all \(events) events before the first look: too few to time") }
            return BenchResult(
                name: Name.relay, unit: "event", operations: events - Int(first.tail), seconds: (finished - first.at).seconds,
                baseline: baseline
            )
        }
    }

    /// A blue/green rebuild of the scores projection over the whole (numbered) log.
    private func rebuildSpeed(pool: PostgresConnectionPool, baseline: BenchResult?) async throws -> BenchResult {
        let rebuilder = ProjectionRebuilder(projection: PromotionScoresProjection(), pool: pool, logger: logger)
        _ = try await rebuilder.rebuild()  // The first build; the measured one replaces it, as an operator's would.
        let clock = ContinuousClock()
        let started = clock.now
        let report = try await rebuilder.rebuild()
        let elapsed = clock.now - started
        return BenchResult(name: Name.rebuild, unit: "event", operations: report.eventsApplied, seconds: elapsed.seconds, baseline: baseline)
    }
}

/// A log of realistic campaign histories, written straight through the store: each
/// campaign is created, gets two subcampaigns, is activated and reports delivery, and a
/// clock tick follows every hundred campaigns.
enum CampaignLog {
    static func fill(_ store: PostgresEventStore, campaigns: Int) async throws -> Int {
        let ids = EventIDGenerator()
        let flight = Flight(start: try Timestamp("2026-01-01T00:00:00Z"), end: try Timestamp("2027-01-01T00:00:00Z"))
        let context = CommandContext(issuedAt: try Timestamp("2025-12-01T00:00:00Z"), actor: "bench")
        let markets = ["SE", "NO", "DK", "FI", "DE", "GB", "US", "BR"]
        var total = 0
        try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var appended = 0
                    for index in stride(from: worker, to: campaigns, by: 8) {
                        let id = try CampaignID("bench-\(index)")
                        var commands: [CampaignCommand] = [
                            .create(CreateCampaign(
                                campaignID: id, ownerID: try OwnerID("label-\(index % 50)"), name: "Bench \(index)", objective: .reach,
                                budget: Money(amountMinor: 10_000_000, currency: Currency("EUR")), flight: flight, pacingMode: .even
                            )),
                        ]
                        for sub in 0..<2 {
                            commands.append(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: NewSubcampaign(
                                id: try SubcampaignID("sub-\(sub)"),
                                targeting: Targeting(
                                    markets: [Market(markets[(index + sub) % markets.count])], surfaces: [Surface("home")],
                                    segments: [Segment("superfans")]
                                ),
                                pricing: .cpm(450), shareBounds: .unbounded, promotedItem: .track(try TrackID("trk-\(index)-\(sub)"))
                            ))))
                        }
                        commands.append(.activate(id))
                        for report in 0..<4 {
                            commands.append(.reportDelivery(ReportDelivery(campaignID: id, report: DeliveryReport(
                                reportID: try ReportID("r-\(report)"), subcampaignID: try SubcampaignID("sub-\(report % 2)"),
                                from: try Timestamp("2026-01-0\(report + 1)T00:00:00Z"), to: try Timestamp("2026-01-0\(report + 2)T00:00:00Z"),
                                impressions: 1_000, reachEstimate: 800, clicks: 10, conversions: 1,
                                spend: Money(amountMinor: 10_000, currency: Currency("EUR"))
                            ))))
                        }
                        appended += try await CampaignLog.append(commands, to: id, context: context, store: store, ids: ids)
                        if index % 100 == 0 {
                            let tick = ClockTicked(at: try Timestamp(microsecondsSinceEpoch: try Timestamp("2026-01-10T00:00:00Z").microsecondsSinceEpoch + Int64(index) * 60_000_000))
                            let encoded = ClockTicked.encode(tick)
                            try await store.append(AppendRequest(
                                commandID: tick.commandID,
                                streams: [StreamAppend(streamID: StreamID(ClockTicked.streamID), expectedVersion: .any, events: [
                                    NewEvent(eventID: ids.next(), type: encoded.type, schemaVersion: encoded.schemaVersion, data: encoded.data),
                                ])],
                                metadata: EventMetadata(correlationID: ids.next(), actor: "bench")
                            ))
                            appended += 1
                        }
                    }
                    return appended
                }
            }
            for try await count in group { total += count }
        }
        return total
    }

    /// Decides `commands` one after the other for the new campaign `id` and appends all
    /// their events in one append, after the assignment of every track they promote to the
    /// campaign's owner (in the same append, one stream per track); returns how many.
    static func append(
        _ commands: [CampaignCommand], to id: CampaignID, context: CommandContext, store: PostgresEventStore, ids: EventIDGenerator
    ) async throws -> Int {
        var context = context
        var streams: [StreamAppend] = []
        for case .create(let create) in commands {
            for track in commands.reduce(into: Set<TrackID>(), { $0.formUnion($1.promotedTracks) }).sorted() {
                context.trackHolders[track] = create.ownerID
                let encoded = TrackAssigned.encode(TrackAssigned(trackID: track, ownerID: create.ownerID))
                streams.append(StreamAppend(
                    streamID: StreamID(TrackAssigned.streamID(for: track)), expectedVersion: .any,
                    events: [NewEvent(eventID: ids.next(), type: encoded.type, schemaVersion: encoded.schemaVersion, data: encoded.data)]
                ))
            }
        }
        var state: Campaign?
        var events: [NewEvent] = []
        for command in commands {
            for event in try Campaign.decide(command, state: state, context: context) {
                state = Campaign.evolve(state, event)
                let encoded = EventCodec.encode(event)
                events.append(NewEvent(eventID: ids.next(), type: encoded.type, schemaVersion: encoded.schemaVersion, data: encoded.data))
            }
        }
        streams.append(StreamAppend(streamID: StreamID(Campaign.streamID(for: id)), expectedVersion: .noStream, events: events))
        try await store.append(AppendRequest(
            commandID: "bench-\(id.rawValue)", streams: streams, metadata: EventMetadata(correlationID: ids.next(), actor: "bench")
        ))
        return streams.reduce(0) { $0 + $1.events.count }
    }
}

/// A freshly migrated schema of its own for one benchmark, dropped afterwards.
enum MigratedScratch {
    static func with<R: Sendable>(
        _ postgresURL: String, migrations: String, logger: Logger,
        _ body: (PostgresConnectionPool, String) async throws -> R
    ) async throws -> R {
        let schema = "bench_pipeline_\(UInt32.random(in: 0...UInt32.max))"
        let url = postgresURL + (postgresURL.contains("?") ? "&" : "?") + "options=-csearch_path%3D" + schema
        try await ScratchSchema.withConnection(url: postgresURL, logger: logger) { try await $0.simpleQuery("CREATE SCHEMA \(schema)") }
        do {
            _ = try await ScratchSchema.withConnection(url: url, logger: logger) { connection in
                try await MigrationRunner(migrations: try Migration.load(from: migrations), logger: logger).migrate(on: connection)
            }
            let result = try await PostgresConnectionPool.withPool(
                configuration: PostgresConfiguration(url: url), maxConnections: 16, logger: logger
            ) { pool in try await body(pool, url) }
            try await ScratchSchema.withConnection(url: postgresURL, logger: logger) { try await $0.simpleQuery("DROP SCHEMA \(schema) CASCADE") }
            return result
        } catch {
            _ = try? await ScratchSchema.withConnection(url: postgresURL, logger: logger) { try await $0.simpleQuery("DROP SCHEMA \(schema) CASCADE") }
            throw error
        }
    }
}

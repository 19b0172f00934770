import Foundation
import Logging
import NATS
import NIOCore
import NIOHTTP1
import Postgres
import Prometheus
import RepriseAPI
import RepriseDomain
import RepriseEventLog
import RepriseEventStore
import RepriseMigrations
import ReprisePlatform
import RepriseProjections
import RepriseRelay
import RepriseScores
import RepriseScoring
import Synchronization

extension PipelineBenchmarks {
    /// From a delivery report's 2xx to its changed score in a key-value watch, at a steady
    /// open-loop command rate, with the API server, the relay, the scores projector and its
    /// publisher in this process on a scratch schema and NATS names of their own, wired as
    /// `reprise serve` wires them (one pool, one NATS connection); the watcher (and a core
    /// subscriber to the event subjects, which dates each relay publication) has a
    /// connection of its own, as personalization would.
    ///
    /// Each campaign promotes its own track, so each has one key, and nothing but its own
    /// delivery reports changes its score (no ticker runs). The next put of campaign i's
    /// key after a report to it was sent is that report's; with the campaigns visited
    /// round-robin, a campaign gets a report only every `campaigns / rate` seconds.
    func endToEndLatency(rate: Int) async throws -> [BenchResult] {
        let plan = try EndToEndPlan(options: options, rate: rate)
        return try await MigratedScratch.with(options.postgresURL, migrations: options.migrationsDirectory, logger: logger) { pool, url in
            let store = PostgresEventStore(pool: pool, logger: logger)
            let booked = try await CampaignLog.bookLive(store, plan: plan)
            logger.info("Booked live campaigns", metadata: ["campaigns": "\(plan.campaigns)", "events": "\(booked)"])
            return try await NATSConnection.withConnection(url: options.natsURL, name: "reprise-bench-e2e-watch", logger: logger) { watcher in
                do {
                    let results = try await endToEnd(plan, url: url, watcher: watcher)
                    try? await watcher.jetStream().deleteKeyValue(bucket: plan.bucket)
                    try? await watcher.jetStream().deleteStream(name: plan.stream)
                    return results
                } catch {
                    try? await watcher.jetStream().deleteKeyValue(bucket: plan.bucket)
                    try? await watcher.jetStream().deleteStream(name: plan.stream)
                    throw error
                }
            }
        }
    }

    /// The platform as `reprise serve` runs it, less the ticker, on the plan's stream and bucket.
    private func endToEnd(_ plan: EndToEndPlan, url: String, watcher: NATSConnection) async throws -> [BenchResult] {
        let clock = ContinuousClock()
        let configuration = PlatformConfiguration(
            components: [.api, .relay, .projectors], postgres: PostgresConfiguration(url: url),
            natsURL: options.natsURL, natsClientName: "reprise-bench-e2e",
            relay: RelayConfiguration(streamName: plan.stream, subjectPrefix: plan.subjectPrefix),
            projectors: ProjectorConfiguration(streamName: plan.stream, subjectPrefix: plan.subjectPrefix),
            scores: .init(bucket: plan.bucket, subjectPrefix: plan.scoresSubjectPrefix),
            api: APIConfiguration(host: "127.0.0.1", port: 0),
            keyring: APIKeyring(keys: [CommandWorkload.adminKey: (.admin, [])]),
            migrations: try Migration.load(from: options.migrationsDirectory)
        )
        var serverLogger = logger
        // Warnings and worse only: one info line per request would measure the terminal.
        serverLogger.logLevel = max(logger.logLevel, .warning)
        let puts = ArrivalLog()
        let publications = ArrivalLog()

        return try await Platform.withRunning(configuration, logger: serverLogger) { platform in
            let port = try await platform.apiPort()
            _ = try await platform.scorePublisher?.bucket()
            let watch = try await watcher.jetStream().keyValue(bucket: plan.bucket).watch()
            let published = try watcher.subscribe(
                subject: EventMessage.subject(forType: DeliveryReported.eventType, prefix: plan.subjectPrefix)
            )
            return try await withThrowingTaskGroup(of: Void.self) { group in
                // Both end when the watch stops and the subscription goes, in the defer below.
                group.addTask {
                    for try await event in watch {
                        let seen = ContinuousClock.now
                        if case .entry(let entry) = event, entry.operation == .put { puts.record(entry.key, at: seen) }
                    }
                }
                group.addTask {
                    for try await message in published {
                        let seen = ContinuousClock.now
                        if let stream = EventMessage.streamID(in: message.headers) { publications.record(stream, at: seen) }
                    }
                }
                defer {
                    group.cancelAll()
                    watch.stop()
                    published.unsubscribe()
                }

                // Every campaign's score in the bucket, then a moment for the pipeline to go idle.
                let booking = clock.now
                while puts.keys < plan.campaigns {
                    guard clock.now - booking < .seconds(300) else {
                        throw BenchError("the bucket holds only \(puts.keys) of \(plan.campaigns) scores after 300 s")
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
                logger.info("Every campaign has a score in the bucket", metadata: ["seconds": "\((clock.now - booking).seconds)"])
                try await Task.sleep(for: .milliseconds(500))

                let sent = try await drive(plan, port: port)
                let loadStarted = sent.map(\.scheduled).min() ?? clock.now
                // Every report changes its campaign's score: wait for as many puts.
                let draining = clock.now
                while puts.count(after: loadStarted) < sent.count, clock.now - draining < .seconds(30) {
                    try await Task.sleep(for: .milliseconds(20))
                }
                return try plan.figures(sent, puts: puts.snapshot(), publications: publications.snapshot(), logger: logger)
            }
        }
    }

    /// Sends `plan.total` delivery reports on `plan.connections` keep-alive connections,
    /// report k at `start + k / rate` whatever came back before: a connection takes the next
    /// report as soon as it is free, and a report sent late says so in its `sent` time.
    private func drive(_ plan: EndToEndPlan, port: Int) async throws -> [SentReport] {
        let clock = ContinuousClock()
        let tickets = TicketCounter()
        let start = clock.now + .milliseconds(50)
        return try await HTTPLoadClient.forEachConnection(port: port, count: plan.connections) { _, connection in
            var reports: [SentReport] = []
            while true {
                let index = tickets.take()
                guard index < plan.total else { break }
                let scheduled = start + plan.interval * index
                try await clock.sleep(until: scheduled, tolerance: nil)
                let request = plan.report(index)
                let sent = clock.now
                let response = try await connection.send(request)
                let accepted = clock.now
                guard response.status == 201 else {
                    throw HTTPLoadError(
                        .unexpectedStatus, "POST \(request.path) answered \(response.status), not 201: \(String(buffer: response.body))"
                    )
                }
                reports.append(SentReport(index: index, campaign: index % plan.campaigns, scheduled: scheduled, sent: sent, accepted: accepted))
            }
            return reports
        }.flatMap { $0 }
    }
}

/// The shape of one end-to-end run: how many campaigns, how fast, how long, and the names
/// it owns on NATS.
struct EndToEndPlan: Sendable {
    let campaigns: Int
    let rate: Int
    let seconds: Double
    let warmUpSeconds: Double
    let connections = 16
    let run = UInt32.random(in: 0...UInt32.max)
    let flight: Flight
    /// 1,000,000 EUR, of which each report spends 1,000: each moves the score by about 220
    /// millionths, and a run spends well under 1%.
    static let budgetMinor: Int64 = 100_000_000
    static let spendMinor: Int64 = 100_000

    init(options: PipelineBenchmarks.Options, rate: Int) throws {
        self.rate = max(1, rate)
        // At least two seconds between two reports to one campaign.
        campaigns = max(2 * self.rate, options.count(2_000))
        seconds = max(4, 15 * options.scale)
        warmUpSeconds = min(3, seconds / 5)
        // Half over, half to go: every score starts near 2/3. Whole seconds, as the API writes them.
        let now = try Timestamp(atOrBefore: Date()).microsecondsSinceEpoch / 1_000_000
        flight = Flight(
            start: try Timestamp(microsecondsSinceEpoch: (now - 15 * 86_400) * 1_000_000),
            end: try Timestamp(microsecondsSinceEpoch: (now + 15 * 86_400) * 1_000_000)
        )
    }

    var total: Int { Int(seconds * Double(rate)) }
    var interval: Duration { .nanoseconds(1_000_000_000 / Int64(rate)) }
    var stream: String { "BENCH_E2E_\(run)" }
    var subjectPrefix: String { stream.lowercased() }
    var bucket: String { stream + "_SCORES" }
    var scoresSubjectPrefix: String { subjectPrefix + "_scores" }

    func campaignID(_ index: Int) -> String { "e2e-\(index)" }
    func track(_ index: Int) -> String { "trk-e2e-\(index)" }
    func bucketKey(_ index: Int) -> String { ScoreKey(market: "SE", surface: "home", track: track(index)).bucketKey }

    /// Report `index`, to campaign `index % campaigns`.
    func report(_ index: Int) -> LoadRequest {
        let body = """
            {"reportId":"e2e-\(index)","subcampaignId":"sub-1","from":"\(flight.start.iso8601)","to":"\(flight.end.iso8601)",\
            "impressions":1000,"reachEstimate":800,"clicks":10,"conversions":1,\
            "spend":{"amountMinor":\(Self.spendMinor),"currency":"EUR"}}
            """
        let headers: HTTPHeaders = [
            "Authorization": "Bearer \(CommandWorkload.adminKey)", "Content-Type": "application/json",
            "Idempotency-Key": "e2e-\(run)-\(index)",
        ]
        return LoadRequest(
            method: .POST, path: "/campaigns/\(campaignID(index % campaigns))/delivery-reports", headers: headers,
            body: ByteBuffer(string: body)
        )
    }

    /// The figures of the reports sent after the warm-up: end to end, its two parts, and
    /// how far the sends fell behind the schedule.
    func figures(
        _ sent: [SentReport], puts: [String: [ContinuousClock.Instant]], publications: [String: [ContinuousClock.Instant]],
        logger: Logger
    ) throws -> [BenchResult] {
        guard let start = sent.map(\.scheduled).min() else { throw BenchError("no report was sent") }
        let measuredFrom = start + .milliseconds(Int64(warmUpSeconds * 1000))
        var endToEnd: [Duration] = [], beforePublish: [Duration] = [], command: [Duration] = [], lag: [Duration] = []
        var missing = 0, early = 0
        let byCampaign = Dictionary(grouping: sent, by: \.campaign)
        for (campaign, reports) in byCampaign {
            let reports = reports.sorted { $0.sent < $1.sent }
            let seen = Self.firstArrivals(after: reports.map(\.sent), in: puts[bucketKey(campaign)] ?? [])
            let relayed = Self.firstArrivals(
                after: reports.map(\.sent), in: publications[Campaign.streamID(for: try CampaignID(campaignID(campaign)))] ?? []
            )
            for (report, (put, publication)) in zip(reports, zip(seen, relayed)) where report.scheduled >= measuredFrom {
                guard let put else {
                    missing += 1
                    continue
                }
                if put < report.accepted { early += 1 }
                let total = max(.zero, put - report.accepted)
                endToEnd.append(total)
                if let publication { beforePublish.append(min(total, max(.zero, publication - report.accepted))) }
                command.append(report.accepted - report.sent)
                lag.append(report.sent - report.scheduled)
            }
        }
        guard missing == 0 else { throw BenchError("\(missing) score changes did not reach the bucket within 30 s") }
        guard !endToEnd.isEmpty else { throw BenchError("no report was sent after the warm-up") }
        let measured = sent.filter { $0.scheduled >= measuredFrom }
        let window = (measured.map(\.accepted).max() ?? measuredFrom) - measuredFrom
        let totalMilliseconds = endToEnd.reduce(0) { $0 + $1.milliseconds }
        let beforeMilliseconds = beforePublish.reduce(0) { $0 + $1.milliseconds }
        logger.notice("End-to-end latency measured", metadata: [
            "reports": "\(endToEnd.count)", "share.before.relay.publish": "\(Int((beforeMilliseconds / max(totalMilliseconds, 1e-9) * 100).rounded()))%",
            "puts.before.accept": "\(early)",
        ])
        func result(_ name: String, _ latencies: [Duration]) -> BenchResult {
            BenchResult(name: name, unit: "command", operations: measured.count, seconds: window.seconds, latencies: latencies)
        }
        typealias Name = PipelineBenchmarks.Name
        return [
            result(Name.endToEnd(rate), endToEnd),
            result(Name.endToEndBeforePublish, beforePublish),
            result(Name.endToEndCommand, command),
            result(Name.endToEndScheduleLag, lag),
        ]
    }

    /// For each moment in `moments` (ascending), the first arrival after it not already
    /// taken by an earlier moment.
    static func firstArrivals(after moments: [ContinuousClock.Instant], in arrivals: [ContinuousClock.Instant]) -> [ContinuousClock.Instant?] {
        var next = 0
        return moments.map { moment in
            while next < arrivals.count, arrivals[next] <= moment { next += 1 }
            defer { next += 1 }
            return next < arrivals.count ? arrivals[next] : nil
        }
    }
}

/// One delivery report of the load: when it was due, sent, and answered.
struct SentReport: Sendable {
    let index: Int
    let campaign: Int
    let scheduled: ContinuousClock.Instant
    let sent: ContinuousClock.Instant
    let accepted: ContinuousClock.Instant
}

/// When each key (or stream) was seen, in arrival order.
final class ArrivalLog: Sendable {
    private let arrivals = Mutex<[String: [ContinuousClock.Instant]]>([:])

    func record(_ key: String, at instant: ContinuousClock.Instant) {
        arrivals.withLock { $0[key, default: []].append(instant) }
    }

    /// Distinct keys seen.
    var keys: Int { arrivals.withLock { $0.count } }

    func count(after instant: ContinuousClock.Instant) -> Int {
        arrivals.withLock { arrivals in
            arrivals.values.reduce(0) { total, instants in total + instants.count(where: { $0 > instant }) }
        }
    }

    func snapshot() -> [String: [ContinuousClock.Instant]] { arrivals.withLock { $0 } }
}

/// Hands out 0, 1, 2, … to the load's connections.
final class TicketCounter: Sendable {
    private let next = Atomic<Int>(0)

    func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
}

extension CampaignLog {
    /// `plan.campaigns` campaigns, each with one subcampaign promoting a track of its own
    /// on SE/home, activated, in flights that contain the present: each gets a score. They
    /// are decided as booked when their flights began, as flights may not start earlier.
    static func bookLive(_ store: PostgresEventStore, plan: EndToEndPlan) async throws -> Int {
        let ids = EventIDGenerator()
        let context = CommandContext(issuedAt: plan.flight.start, actor: "bench")
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var appended = 0
                    for index in stride(from: worker, to: plan.campaigns, by: 8) {
                        let id = try CampaignID(plan.campaignID(index))
                        let commands: [CampaignCommand] = [
                            .create(CreateCampaign(
                                campaignID: id, ownerID: try OwnerID("label-\(index % 50)"), name: "E2E \(index)", objective: .reach,
                                budget: Money(amountMinor: EndToEndPlan.budgetMinor, currency: Currency("EUR")), flight: plan.flight,
                                pacingMode: .even
                            )),
                            .addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: NewSubcampaign(
                                id: try SubcampaignID("sub-1"),
                                targeting: Targeting(markets: [Market("SE")], surfaces: [Surface("home")], segments: [Segment("superfans")]),
                                pricing: .cpm(450), shareBounds: .unbounded, promotedItem: .track(try TrackID(plan.track(index)))
                            ))),
                            .activate(id),
                        ]
                        appended += try await CampaignLog.append(commands, to: id, context: context, store: store, ids: ids)
                    }
                    return appended
                }
            }
            return try await group.reduce(0, +)
        }
    }
}

import Foundation
import NATS
import Postgres
import Prometheus
import RepriseCampaigns
import RepriseDomain
import RepriseEventStore
import RepriseProjections
import RepriseScores
import RepriseScoring
import RepriseTestSupport
import Testing

/// A month-long campaign promoting trk-1 on home in SE and NO.
private enum Booking {
    static let campaign: CampaignID = "cmp-scores"
    static let flight = Flight(start: "2026-12-01T00:00:00Z", end: "2026-12-31T00:00:00Z")

    static func envelope() -> CommandEnvelope {
        CommandEnvelope(commandID: UUID().uuidString, correlationID: UUID(), actor: "label-7", issuedAt: "2026-11-21T12:00:00Z")
    }

    static func book(_ handler: CampaignCommandHandler) async throws {
        try await handler.tracks.assign("trk-1", to: "label-7", envelope: envelope())
        try await handler.handle(.create(CreateCampaign(
            campaignID: campaign, ownerID: "label-7", name: "Winter single", objective: .reach,
            budget: Money(amountMinor: 1_000_000, currency: "EUR"), flight: flight, pacingMode: .even
        )), envelope: envelope())
        try await handler.handle(.addSubcampaign(AddSubcampaign(campaignID: campaign, subcampaign: NewSubcampaign(
            id: "sub-1", targeting: Targeting(markets: ["SE", "NO"], surfaces: ["home"], segments: ["superfans"]),
            pricing: .cpm(450), shareBounds: .unbounded, promotedItem: .track("trk-1")
        ))), envelope: envelope())
        try await handler.handle(.activate(campaign), envelope: envelope())
    }

    static func report(_ handler: CampaignCommandHandler, spendMinor: Int64) async throws {
        try await handler.handle(.reportDelivery(ReportDelivery(campaignID: campaign, report: DeliveryReport(
            reportID: "rep-1", subcampaignID: "sub-1", from: "2026-12-01T00:00:00Z", to: "2026-12-02T00:00:00Z",
            impressions: 1_000, reachEstimate: 800, clicks: 10, conversions: 1, spend: Money(amountMinor: spendMinor, currency: "EUR")
        ))), envelope: envelope())
    }
}

@Suite("Promotion scores")
struct ScoresProjectionTests {
    @Test("scores follow ticks, delivery and status; the bucket gives a snapshot, then each change once, in order")
    func scoresFlowToTheBucket() async throws {
        try await PipelineHarness.with { harness in
            let bucketName = "S" + harness.configuration.streamName
            let publisher = ScorePublisher(
                jetStream: harness.jetStream,
                configuration: .init(bucket: bucketName, subjectPrefix: harness.configuration.subjectPrefix + "_scores"),
                logger: harness.logger
            )
            let bucket = try await publisher.bucket()
            do {
                try await Self.scoresFlow(harness, publisher: publisher, bucket: bucket)
            } catch {
                try? await harness.jetStream.deleteKeyValue(bucket: bucketName)
                throw error
            }
            try? await harness.jetStream.deleteKeyValue(bucket: bucketName)
        }
    }

    private static func scoresFlow(_ harness: PipelineHarness, publisher: ScorePublisher, bucket: KeyValueBucket) async throws {
        let projection = PromotionScoresProjection()
        let handler = CampaignCommandHandler(store: harness.store, logger: harness.logger)
        let ticker = ClockTicker(store: harness.store, logger: harness.logger)

        try await harness.withRelay {
            let projector = ProjectorService(
                projection: projection, pool: harness.pool, jetStream: harness.jetStream,
                configuration: ProjectorConfiguration(
                    streamName: harness.configuration.streamName, subjectPrefix: harness.configuration.subjectPrefix,
                    fetchBatch: 50, fetchTimeout: .milliseconds(100)
                ),
                metrics: ProjectorMetrics(registry: PrometheusCollectorRegistry()), publisher: publisher, logger: harness.logger
            )
            try await whileRunning(projector.runUntilCancelled) {
            // Booked and active, but the flight has not started by log time: no scores.
            try await Booking.book(handler)
            // Half the flight left with all of the budget: u = 2, score 2/3.
            try await ticker.tick(at: Timestamp("2026-12-16T00:00:00Z").date)
            try await waitFor(bucket, "SE.home.trk-1", scoreMicros: 666_667)
            try await waitFor(bucket, "NO.home.trk-1", scoreMicros: 666_667)
            let value = try #require(try await bucket.get(key: "SE.home.trk-1")?.value)
            let document = try JSONDecoder().decode(JSONValue.self, from: Data(value))
            #expect(try JSONSchemaValidator.natsSchema("score-value.v1.json").errors(in: document) == [])
            // What the bucket holds is what the live model publishes, per key.
            let published = try await ScoreQueries.published(on: harness.pool)
            #expect(published.mapValues(\.scoreMicros) == ["SE.home.trk-1": 666_667, "NO.home.trk-1": 666_667])
            let swedish = try await ScoreQueries.published(market: "SE", surface: "home", on: harness.pool)
            #expect(Array(swedish.keys) == ["SE.home.trk-1"])

            // A subscriber from here on gets the two current values, then changes.
            let watch = try await bucket.watch(keys: "*.home.trk-1")
            let lines = try await withThrowingTaskGroup(of: [String].self) { watching in
                watching.addTask {
                    var lines: [String] = []
                    for try await event in watch {
                        switch event {
                        case .initialValuesDone: lines.append("done")
                        case .entry(let entry): lines.append("\(entry.operation) \(entry.key) \(Self.micros(entry.value) ?? -1)")
                        }
                        if lines.count == 7 { break }
                    }
                    return lines
                }
            // Half the budget spent at half the flight: on pace, 0.5.
            try await Booking.report(handler, spendMinor: 500_000)
            try await waitFor(bucket, "SE.home.trk-1", scoreMicros: 500_000)
            // Paused: both promotions are removed, not left stale.
            try await handler.handle(.pause(Booking.campaign), envelope: Booking.envelope())
            try await waitFor(bucket, "SE.home.trk-1", scoreMicros: nil)
            try await waitFor(bucket, "NO.home.trk-1", scoreMicros: nil)
                return try await watching.next() ?? []
            }
            watch.stop()
            #expect(lines == [
                "put NO.home.trk-1 666667", "put SE.home.trk-1 666667", "done",
                "put NO.home.trk-1 500000", "put SE.home.trk-1 500000",
                "delete NO.home.trk-1 -1", "delete SE.home.trk-1 -1",
            ])

            // A rebuild comes out identical and publishes nothing new.
            let before = try await bucket.get(key: "SE.home.trk-1")?.revision
            let report = try await ProjectionRebuilder(projection: projection, pool: harness.pool, logger: harness.logger).rebuild()
            #expect(report.generation == 2)
            #expect(try await bucket.get(key: "SE.home.trk-1")?.revision == before)
            #expect(try await ProjectionRebuilder(projection: projection, pool: harness.pool, logger: harness.logger).verify().matches)
            }
        }
    }

    static func micros(_ value: [UInt8]) -> Int? {
        (try? JSONSerialization.jsonObject(with: Data(value)) as? [String: Any])?["scoreMicros"] as? Int
    }

    /// Waits until `key` holds `scoreMicros` (nil: until it is deleted).
    private static func waitFor(_ bucket: KeyValueBucket, _ key: String, scoreMicros: Int?) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let entry = try await bucket.get(key: key)
            let current = entry.flatMap { $0.operation == .put ? Self.micros($0.value) : nil }
            if current == scoreMicros { return }
            guard ContinuousClock.now < deadline else {
                throw HarnessTimeout(description: "\(key) holds \(String(describing: current)), not \(String(describing: scoreMicros))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

import RepriseCampaigns
import RepriseDomain
import RepriseEventLog
import RepriseProjectionCore
import RepriseScoring
import RepriseTestSupport
import RepriseWorkload
import Testing

/// A projection is a function of the log, not of how the log reached it: however a seeded
/// log of mixed events is cut into batches, redelivered, or interrupted by a crash between
/// fold and commit, and whether it is folded live (batch by batch) or rebuilt (rows kept
/// across pages, flushed under a memory bound), the model comes out the same.
@Suite("Batch boundaries do not change a projection")
struct BatchBoundaryPropertyTests {
    static let events = 20_000

    @Test("scores: random batches, redeliveries and restarts give one digest; so does a rebuild")
    func scoresAreIndependentOfBatching() async throws {
        let log = try await SyntheticLog.sequenced(seed: 20_261_202, events: Self.events, tickMinutes: 10)
        #expect(log.count >= Self.events)
        let types = Set(log.map(\.event.type))
        #expect(types.isSuperset(of: ["campaign.created", "delivery.reported", "clock.ticked", "campaign.paused", "campaign.budget-changed"]))

        var reference = InMemoryProjectionStore(projection: PromotionScoresProjection())
        for start in stride(from: 0, to: log.count, by: 500) {
            try await reference.apply(Array(log[start..<min(start + 500, log.count)]))
        }
        #expect(reference.checkpoint == UInt64(log.count))
        #expect(reference.deadLetters.isEmpty)
        let expected = reference.lines
        #expect(expected.contains { $0.hasPrefix(PromotionScoresProjection.Table.scores) }, "the log must leave some promotions scored")

        for seed: UInt64 in [1, 2, 3] {
            let chaotic = try await Self.foldChaotically(log, projection: PromotionScoresProjection(), seed: seed)
            #expect(chaotic.lines == expected, "seed \(seed)")
        }
        for maxResident in [50, 100_000] {
            var rebuilt = InMemoryProjectionStore(projection: PromotionScoresProjection())
            try await rebuilt.rebuild(log, pageSize: 1_000, maxResidentRows: maxResident)
            #expect(rebuilt.lines == expected, "rebuild holding at most \(maxResident) rows")
        }
    }

    /// Batches of 1 to 700 events; a third of them start up to 50 events before the
    /// checkpoint (redelivery); one in twelve is folded and thrown away (a crash before
    /// commit), then delivered again.
    static func foldChaotically<P: Projection>(_ log: [SequencedEvent], projection: P, seed: UInt64) async throws -> InMemoryProjectionStore<P> {
        var random = SeededRandom(seed: seed)
        var store = InMemoryProjectionStore(projection: projection)
        var batches = 0
        while store.checkpoint < UInt64(log.count) {
            var start = Int(store.checkpoint)
            if Int.random(in: 0..<3, using: &random) == 0 { start = max(0, start - Int.random(in: 0...50, using: &random)) }
            let end = min(log.count, Int(store.checkpoint) + Int.random(in: 1...700, using: &random))
            let batch = Array(log[start..<end])
            if Int.random(in: 0..<12, using: &random) == 0 {
                var crashed = store
                try await crashed.apply(batch)
                continue
            }
            try await store.apply(batch)
            batches += 1
        }
        #expect(batches >= log.count / 700)
        return store
    }
}

@Suite("The campaigns projection")
struct CampaignsProjectionTests {
    @Test("lists what the domain's own replay says, however the log is batched")
    func listAgreesWithTheDomain() async throws {
        let log = try await SyntheticLog.sequenced(seed: 7, events: 5_000, tickMinutes: 10)
        var byCampaign: [CampaignID: [CampaignEvent]] = [:]
        for event in log {
            guard let id = Campaign.campaignID(fromStreamID: event.event.streamID.rawValue) else { continue }
            byCampaign[id, default: []].append(
                try EventCodec.decode(type: event.event.type, schemaVersion: event.event.schemaVersion, data: event.event.data)
            )
        }
        let expected = byCampaign.compactMap { id, events -> String? in
            guard let campaign = Campaign.replay(events) else { return nil }
            return [CampaignsProjection.table, id.rawValue, campaign.ownerID.rawValue, campaign.name, campaign.status.rawValue, String(campaign.version)]
                .joined(separator: "\u{1F}")
        }.sorted()
        #expect(expected.count > 100)

        let chaotic = try await BatchBoundaryPropertyTests.foldChaotically(log, projection: CampaignsProjection(), seed: 11)
        #expect(chaotic.lines == expected)
        var rebuilt = InMemoryProjectionStore(projection: CampaignsProjection())
        try await rebuilt.rebuild(log, pageSize: 333, maxResidentRows: 40)
        #expect(rebuilt.lines == expected)
    }
}

import Foundation
import RepriseDomain
import RepriseScoring
import RepriseTestSupport
import Testing

/// The stored state: built from events, equal to the view of a replayed `Campaign`, and
/// byte-exact through JSON after long seeded histories.
@Suite struct ScoringCampaignTests {
    @Test func onlyCampaignCreatedStartsAState() throws {
        let stream = try ScoredStream.active()
        #expect(ScoringCampaign(stream.events[0]) != nil)
        for event in stream.events.dropFirst() { #expect(ScoringCampaign(event) == nil, "\(event.type)") }
    }

    @Test func theStateHoldsWhatScoringNeeds() throws {
        var stream = try ScoredStream.active([
            ScoringFixture.subcampaign("sub-1", bounds: ShareBounds(minimumBasisPoints: 100, maximumBasisPoints: 4_000)),
            ScoringFixture.subcampaign("sub-2", promoting: .creative("crv-1")),
        ])
        try stream.deliver(1_234, by: "sub-1")
        try stream.deliver(66, by: "sub-2")
        let state = try #require(stream.scoring)
        #expect(state == ScoringCampaign(
            campaignID: "cmp-1", status: .active, flight: ScoringFixture.flight, budget: ScoringFixture.euros(1_000_000),
            spentMinor: 1_300,
            subcampaigns: [
                ScoringSubcampaign(
                    id: "sub-1", status: .active, track: "trk-42", markets: ["NO", "SE"], surfaces: ["home", "now-playing"],
                    maximumShareBasisPoints: 4_000, spentMinor: 1_234
                ),
                ScoringSubcampaign(
                    id: "sub-2", status: .active, track: nil, markets: ["NO", "SE"], surfaces: ["home", "now-playing"],
                    maximumShareBasisPoints: nil, spentMinor: 66
                ),
            ]
        ))
        #expect(String(decoding: state.canonicalJSON, as: UTF8.self) == """
            {"budget":{"amountMinor":1000000,"currency":"EUR"},"campaignId":"cmp-1",\
            "flight":{"end":"2026-12-10T00:00:00.000000Z","start":"2026-11-10T00:00:00.000000Z"},"spentMinor":1300,\
            "status":"active","subcampaigns":[{"id":"sub-1","markets":["NO","SE"],"maximumShareBasisPoints":4000,\
            "spentMinor":1234,"status":"active","surfaces":["home","now-playing"],"track":"trk-42"},\
            {"id":"sub-2","markets":["NO","SE"],"spentMinor":66,"status":"active","surfaces":["home","now-playing"]}]}
            """)
    }

    @Test func aPriceChangeAnotherCampaignsEventAndAnUnknownSubcampaignChangeNothing() throws {
        var stream = try ScoredStream.active()
        let before = try #require(stream.scoring)
        try stream.run(.changePrice(ChangePrice(campaignID: "cmp-1", subcampaignID: "sub-1", pricing: .cpc(12))))
        #expect(stream.scoring == before)

        var state = before
        state.apply(.campaignPaused(CampaignPaused(campaignID: "cmp-other")))
        state.apply(.subcampaignPaused(SubcampaignPaused(campaignID: "cmp-1", subcampaignID: "sub-missing")))
        state.apply(stream.events[0])  // a second creation
        #expect(state == before)
    }

    @Test func storedJSONWithKeysInAnyOrderReadsBackToTheSameBytes() throws {
        let state = try #require(SeededHistory(seed: 7, steps: 300).stream.scoring)
        // jsonb keeps no key order: rewrite the JSON through an unordered dictionary.
        let reordered = try JSONEncoder().encode(JSONDecoder().decode(JSONValue.self, from: Data(state.canonicalJSON)))
        let read = try ScoringCampaign(canonicalJSON: Array(reordered))
        #expect(read == state)
        #expect(read.canonicalJSON == state.canonicalJSON)
    }

    @Test func malformedStoredStateIsATypedError() throws {
        for bad in ["{}", "[]", #"{"campaignId":"no spaces"}"#, "not json"] {
            let error = #expect(throws: ScoringError.self) { try ScoringCampaign(canonicalJSON: Array(bad.utf8)) }
            #expect(error?.code == .malformedState, "\(bad)")
        }
    }

    @Test(arguments: [1, 2, 3, 42, 2026] as [UInt64])
    func aLongSeededHistoryRoundTripsAndMatchesTheReplayedCampaign(seed: UInt64) throws {
        let history = try SeededHistory(seed: seed, steps: 600)
        let stream = history.stream
        #expect(stream.events.count > 150, "the history should be long: \(stream.events.count) events")
        #expect(Set(stream.events.map(\.type)).count >= 13, "most event types: \(Set(stream.events.map(\.type)).sorted())")

        let folded = try #require(stream.scoring)
        let replayed = try #require(Campaign.replay(stream.events))
        #expect(folded == ScoringCampaign(replayed))

        // Every state the history passed through, as the projector would store and reload it.
        var scored = 0
        for (state, moment) in history.checkpoints {
            let bytes = state.canonicalJSON
            let decoded = try JSONDecoder().decode(ScoringCampaign.self, from: Data(bytes))
            #expect(decoded == state)
            #expect(decoded.canonicalJSON == bytes)
            #expect(decoded.scores(at: moment) == state.scores(at: moment))
            scored += state.scores(at: moment).count
        }
        #expect(scored > 100, "the history should pass through scoring states")
    }

    @Test func everyPrefixOfAHistoryMatchesItsReplay() throws {
        let events = try SeededHistory(seed: 99, steps: 200, close: true).stream.events
        var state: ScoringCampaign? = nil
        for (index, event) in events.enumerated() {
            if state == nil { state = ScoringCampaign(event) } else { state?.apply(event) }
            let replayed = try #require(Campaign.replay(events[...index]))
            #expect(state == ScoringCampaign(replayed), "after event \(index + 1), \(event.type)")
        }
    }

    @Test func theSameEventsTwiceGiveTheSameBytesAndScores() throws {
        let first = try SeededHistory(seed: 12_345, steps: 400)
        let second = try SeededHistory(seed: 12_345, steps: 400)
        #expect(first.stream.events.map { EventCodec.encode($0).data } == second.stream.events.map { EventCodec.encode($0).data })
        let a = try #require(first.stream.scoring), b = try #require(second.stream.scoring)
        #expect(a.canonicalJSON == b.canonicalJSON)
        #expect(first.checkpoints.count == second.checkpoints.count)
        for (one, other) in zip(first.checkpoints, second.checkpoints) {
            #expect(one.state.canonicalJSON == other.state.canonicalJSON)
            let scoresA = one.state.scores(at: one.at), scoresB = other.state.scores(at: other.at)
            #expect(scoresA == scoresB)
            #expect(PublishedScore.best(of: scoresA).map(\.value) == PublishedScore.best(of: scoresB).map(\.value))
        }
        #expect(try SeededHistory(seed: 12_346, steps: 400).stream.events != first.stream.events, "the seed matters")
    }
}

/// A campaign's history made of seeded random commands, each decided by the real domain;
/// rejected commands are simply skipped, as a client's would be.
struct SeededHistory {
    private(set) var stream = ScoredStream()
    /// The scoring state after each accepted command, with the command's time.
    private(set) var checkpoints: [(state: ScoringCampaign, at: Timestamp)] = []

    /// `close`: end the campaign once its flight is over, after the random steps.
    init(seed: UInt64, steps: Int, close: Bool = false) throws {
        var random = SeededRandom(seed: seed)
        let cmp = ScoringFixture.campaignID
        let markets: [Market] = ["SE", "NO", "DK", "FI", "DE", "GB", "US"]
        let surfaces: [Surface] = ["home", "search", "now-playing", "radio-autoplay", "library", "browse"]
        let flight = ScoringFixture.flight
        var subcampaignIDs: [SubcampaignID] = []
        var reports = 0

        func targeting() -> Targeting {
            Targeting(
                markets: Array(markets.shuffled(using: &random).prefix(Int.random(in: 1...3, using: &random))),
                surfaces: Array(surfaces.shuffled(using: &random).prefix(Int.random(in: 1...3, using: &random))),
                segments: ["superfans"]
            )
        }
        func bounds() -> ShareBounds {
            switch Int.random(in: 0..<4, using: &random) {
            case 0: .unbounded
            case 1: ShareBounds(maximumBasisPoints: Int.random(in: 0...10_000, using: &random))
            case 2: ShareBounds(minimumBasisPoints: Int.random(in: 0...1_500, using: &random))
            default: ShareBounds(minimumBasisPoints: 500, maximumBasisPoints: Int.random(in: 500...10_000, using: &random))
            }
        }
        func someSubcampaign() -> SubcampaignID {
            // Now and then one that does not exist, so rejections are exercised too.
            subcampaignIDs.randomElement(using: &random) ?? "sub-none"
        }

        stream.now = "2026-11-01T00:00:00Z"
        // A long history adds more subcampaigns than a booking may; the limit is not what it tests.
        stream.rules.maxSubcampaignsPerCampaign = 1_000
        try stream.run(.create(CreateCampaign(
            campaignID: cmp, ownerID: "label-7", name: "Seeded", objective: .clicks,
            budget: ScoringFixture.euros(ScoringFixture.budget), flight: flight, pacingMode: .even
        )))
        for step in 0..<steps {
            // Time only moves forward, from booking to a little past the flight.
            stream.now = try Timestamp(
                microsecondsSinceEpoch: stream.now.microsecondsSinceEpoch + Int64.random(in: 0...8_000_000_000, using: &random)
            )
            let command: CampaignCommand
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<12:
                let id = try SubcampaignID("sub-\(step)")
                subcampaignIDs.append(id)
                let item: PromotedItem =
                    Int.random(in: 0..<4, using: &random) > 0
                    ? .track(try TrackID("trk-\(Int.random(in: 1...4, using: &random))")) : .creative("crv-1")
                command = .addSubcampaign(AddSubcampaign(campaignID: cmp, subcampaign: NewSubcampaign(
                    id: id, targeting: targeting(), pricing: .cpm(Int64.random(in: 100...900, using: &random)),
                    shareBounds: bounds(), promotedItem: item
                )))
            case 12..<18: command = .activate(cmp)
            case 18..<22: command = .pause(cmp)
            case 22..<28: command = .resume(cmp)
            case 28..<33:
                command = .changeBudget(ChangeBudget(
                    campaignID: cmp, budget: ScoringFixture.euros(Int64.random(in: 100_000...3_000_000, using: &random))
                ))
            case 33..<36:
                let start = flight.start.microsecondsSinceEpoch + Int64.random(in: -86_400_000_000...86_400_000_000, using: &random)
                let end = flight.end.microsecondsSinceEpoch + Int64.random(in: -86_400_000_000...86_400_000_000 * 5, using: &random)
                command = .changeFlight(ChangeFlight(
                    campaignID: cmp, flight: Flight(start: try Timestamp(microsecondsSinceEpoch: start), end: try Timestamp(microsecondsSinceEpoch: end))
                ))
            case 36..<42:
                command = .changeTargeting(ChangeTargeting(campaignID: cmp, subcampaignID: someSubcampaign(), targeting: targeting()))
            case 42..<45:
                command = .changePrice(ChangePrice(
                    campaignID: cmp, subcampaignID: someSubcampaign(), pricing: .cpc(Int64.random(in: 1...90, using: &random))
                ))
            case 45..<50:
                command = .changeBudgetBounds(ChangeBudgetBounds(campaignID: cmp, subcampaignID: someSubcampaign(), shareBounds: bounds()))
            case 50..<54: command = .pauseSubcampaign(cmp, someSubcampaign())
            case 54..<58: command = .resumeSubcampaign(cmp, someSubcampaign())
            case 58..<60: command = .removeSubcampaign(cmp, someSubcampaign())
            default:
                reports += 1
                let to = try Timestamp(microsecondsSinceEpoch: stream.now.microsecondsSinceEpoch + 1)
                command = .reportDelivery(ReportDelivery(campaignID: cmp, report: DeliveryReport(
                    reportID: try ReportID("rep-\(reports)"), subcampaignID: someSubcampaign(), from: stream.now, to: to,
                    impressions: 1_000, reachEstimate: 700, clicks: 9, conversions: 2,
                    spend: ScoringFixture.euros(Int64.random(in: 0...9_000, using: &random))
                )))
            }
            do {
                try stream.run(command)
            } catch {
                continue  // Rejected: the domain said no, and nothing was appended.
            }
            if let state = stream.scoring { checkpoints.append((state, stream.now)) }
        }
        // Close it the way a scheduler would, once its (possibly moved) flight is over.
        if close {
            if let end = stream.campaign?.flight.end, end > stream.now { stream.now = end }
            _ = try? stream.run(.end(cmp))
        }
    }
}

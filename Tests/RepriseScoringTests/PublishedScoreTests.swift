import Foundation
import RepriseDomain
import RepriseScoring
import RepriseTestSupport
import Testing

/// Best-of per track × market × surface, the key-value key and its escaping, the value bytes.
@Suite struct PublishedScoreTests {
    static func promotion(
        _ campaign: CampaignID, _ subcampaign: SubcampaignID, _ micros: Int, track: String = "trk-42",
        market: String = "SE", surface: String = "home"
    ) -> PromotionScore {
        PromotionScore(
            track: track, market: market, surface: surface, campaignID: campaign, subcampaignID: subcampaign,
            scoreMicros: micros
        )
    }

    @Test func theHighestScoreWinsEachKey() throws {
        let scores = [
            Self.promotion("cmp-a", "sub-1", 400_000),
            Self.promotion("cmp-b", "sub-1", 700_000),
            Self.promotion("cmp-c", "sub-9", 650_000),
            Self.promotion("cmp-a", "sub-1", 100_000, surface: "search"),
        ]
        let best = PublishedScore.best(of: scores)
        #expect(best == [
            PublishedScore(market: "SE", surface: "home", track: "trk-42", scoreMicros: 700_000, campaignID: "cmp-b", subcampaignID: "sub-1"),
            PublishedScore(market: "SE", surface: "search", track: "trk-42", scoreMicros: 100_000, campaignID: "cmp-a", subcampaignID: "sub-1"),
        ])
    }

    @Test func aTieGoesToTheSmallestRankWhateverTheInputOrder() throws {
        let tied = [
            Self.promotion("cmp-b", "sub-1", 500_000),
            Self.promotion("cmp-a", "sub-2", 500_000),
            Self.promotion("cmp-a", "sub-10", 500_000),
            Self.promotion("cmp-a", "sub-1", 499_999),
        ]
        let winner = try #require(tied.filter { $0.scoreMicros == 500_000 }.min { PublishedScore.tieRank($0) < PublishedScore.tieRank($1) })
        var random = SeededRandom(seed: 5)
        for _ in 0..<20 {
            let best = PublishedScore.best(of: tied.shuffled(using: &random))
            #expect(best.count == 1)
            #expect(best.first?.campaignID == winner.campaignID)
            #expect(best.first?.subcampaignID == winner.subcampaignID)
            #expect(best.first?.scoreMicros == 500_000)
        }
    }

    /// Issue 11, item 5: ties went to the smallest campaign id, so campaign "0" took every
    /// tied key. The rank mixes in the key, so no id wins them all.
    @Test func noCampaignIdWinsEveryTiedKey() throws {
        var winners: [CampaignID] = []
        for index in 0..<20 {
            let track = "trk-\(index)"
            let best = PublishedScore.best(of: [
                Self.promotion("0", "sub-1", 750_000, track: track), Self.promotion("zzz", "sub-1", 750_000, track: track),
            ])
            winners.append(try #require(best.first).campaignID)
        }
        #expect(winners.filter { $0 == "0" }.count == 9)
        #expect(winners.filter { $0 == "zzz" }.count == 11)
    }

    @Test func theTieRankIsFNV1aOverTheKeyAndThePromotion() {
        // Worked out independently: FNV-1a 64 of "SE\u{1F}home\u{1F}trk-42\u{1F}cmp-1\u{1F}sub-1".
        #expect(PublishedScore.tieRank(Self.promotion("cmp-1", "sub-1", 1)) == 0xFCD9_9405_E787_B668)
    }

    @Test func bestIsSortedByMarketSurfaceTrackAndEmptyForNoScores() throws {
        #expect(PublishedScore.best(of: []).isEmpty)
        let scores = [
            Self.promotion("c", "s", 1, track: "t-2", market: "SE", surface: "home"),
            Self.promotion("c", "s", 1, track: "t-1", market: "SE", surface: "home"),
            Self.promotion("c", "s", 1, track: "t-1", market: "NO", surface: "search"),
            Self.promotion("c", "s", 1, track: "t-1", market: "NO", surface: "home"),
        ]
        #expect(PublishedScore.best(of: scores).map(\.key) == ["NO.home.t-1", "NO.search.t-1", "SE.home.t-1", "SE.home.t-2"])
    }

    @Test func bestOverTwoCampaignsPicksTheOneFurtherBehind() throws {
        var ahead = try ScoredStream.active()
        try ahead.deliver(600_000)
        let behind = try ScoredStream.active()  // the same campaign id: compare the states instead
        let now: Timestamp = "2026-11-25T00:00:00Z"
        var other = try #require(behind.scoring)
        other.campaignID = "cmp-2"
        let all = try ahead.scores(at: now) + other.scores(at: now)
        let best = PublishedScore.best(of: all)
        #expect(best.count == 4)
        #expect(best.allSatisfy { $0.campaignID == "cmp-2" && $0.scoreMicros == 666_667 })  // u = 1 / 0.5 = 2 → 2/3
    }

    @Test(arguments: [
        ("trk-42", "trk-42"),
        ("Trk_9-x", "Trk_9-x"),
        ("trk.4:2", "trk=2E4=3A2"),
        ("a..b.", "a=2E=2Eb=2E"),
        ("a=b", "a=3Db"),
        ("a/b c*>", "a=2Fb=20c=2A=3E"),
        ("Ö", "=C3=96"),
        ("", "="),
    ])
    func keyTokensKeepSafeCharactersAndEscapeTheRest(_ text: String, _ token: String) {
        #expect(PublishedScore.keyToken(text) == token)
    }

    @Test func everyKeyIsAValidNATSKeyOfThreeTokens() throws {
        let texts = ["trk-42", "trk.4:2", "x.", ".x", "", "a b", "Ö.ü", "=", "*", ">", "a/b"]
        for market in texts {
            for track in texts {
                let published = PublishedScore(market: market, surface: "now-playing", track: track, scoreMicros: 1, campaignID: "c", subcampaignID: "s")
                let key = published.key
                #expect(key.utf8.allSatisfy { Self.natsKeyBytes.contains($0) }, "\(key)")
                let tokens = key.split(separator: ".", omittingEmptySubsequences: false)
                #expect(tokens.count == 3 && tokens.allSatisfy { !$0.isEmpty }, "\(key)")
            }
        }
        // Distinct texts give distinct tokens.
        #expect(Set(texts.map(PublishedScore.keyToken)).count == texts.count)
    }

    static let natsKeyBytes = Set("-/_=.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)

    @Test func idsWithoutADotOrColonAreTheirOwnToken() throws {
        for text in ["trk-42", "A", "0_a", "x-y_z"] {
            _ = try TrackID(text)
            #expect(PublishedScore.keyToken(text) == text)
        }
    }

    @Test func theValueIsCompactSortedJSONWithASixDigitScore() throws {
        let published = PublishedScore(market: "SE", surface: "home", track: "trk-42", scoreMicros: 512_345, campaignID: "cmp-1", subcampaignID: "sub-1")
        #expect(String(decoding: published.value, as: UTF8.self) == #"""
            {"campaignId":"cmp-1","market":"SE","score":0.512345,"scoreMicros":512345,"subcampaignId":"sub-1","surface":"home","track":"trk-42"}
            """#)
        for (micros, score) in [(0, "0.000000"), (7, "0.000007"), (500_000, "0.500000"), (1_000_000, "1.000000")] {
            var value = published
            value.scoreMicros = micros
            #expect(String(decoding: value.value, as: UTF8.self).contains(#""score":\#(score),"#))
        }
    }

    @Test func theValueIsValidJSONEvenForTextThatNeedsEscaping() throws {
        let published = PublishedScore(market: "S\"E\\", surface: "ho\nme\u{1}", track: "trk.4:2", scoreMicros: 1, campaignID: "cmp-1", subcampaignID: "sub-1")
        let parsed = try JSONDecoder().decode([String: JSONValue].self, from: Data(published.value))
        #expect(parsed["market"] == .string("S\"E\\"))
        #expect(parsed["surface"] == .string("ho\nme\u{1}"))
        #expect(parsed["track"] == .string("trk.4:2"))
        #expect(parsed["scoreMicros"] == .integer(1))
        #expect(Array(parsed.keys).sorted() == ["campaignId", "market", "score", "scoreMicros", "subcampaignId", "surface", "track"])
    }
}

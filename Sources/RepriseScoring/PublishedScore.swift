import RepriseDomain

/// The score personalization sees for one track in one market on one surface: the best of
/// the promotions that target it, with the promotion it came from.
///
/// Published in a NATS key-value bucket under `key`, with `value` as the entry's bytes.
public struct PublishedScore: Codable, Hashable, Sendable {
    public var market: String
    public var surface: String
    public var track: String
    public var scoreMicros: Int
    public var campaignID: CampaignID
    public var subcampaignID: SubcampaignID

    public init(
        market: String, surface: String, track: String, scoreMicros: Int, campaignID: CampaignID,
        subcampaignID: SubcampaignID
    ) {
        self.market = market
        self.surface = surface
        self.track = track
        self.scoreMicros = scoreMicros
        self.campaignID = campaignID
        self.subcampaignID = subcampaignID
    }

    enum CodingKeys: String, CodingKey {
        case market, surface, track, scoreMicros, campaignID = "campaignId", subcampaignID = "subcampaignId"
    }

    /// One published score per track × market × surface that any promotion targets, sorted by
    /// (market, surface, track). The highest `scoreMicros` wins. Among equal scores the
    /// smallest `tieRank` wins: a hash of the promotion *and the key*, so no campaign or
    /// subcampaign id comes first in general, and which of two promotions wins differs from
    /// key to key. Ids decide only the (never seen) case of equal ranks, so the winner never
    /// depends on the order of `scores`.
    public static func best(of scores: [PromotionScore]) -> [PublishedScore] {
        let ranked = scores.map { (score: $0, rank: tieRank($0)) }.sorted { lhs, rhs in
            let (l, r) = (lhs.score, rhs.score)
            // Swift compares tuples of up to six: the key first, then the ranking within it.
            if (l.market, l.surface, l.track) != (r.market, r.surface, r.track) {
                return (l.market, l.surface, l.track) < (r.market, r.surface, r.track)
            }
            return (-l.scoreMicros, lhs.rank, l.campaignID, l.subcampaignID) < (-r.scoreMicros, rhs.rank, r.campaignID, r.subcampaignID)
        }.map(\.score)
        var published: [PublishedScore] = []
        for score in ranked {
            if let last = published.last, last.market == score.market, last.surface == score.surface,
               last.track == score.track
            {
                continue  // Ranked first within its key, so the first one seen is the best.
            }
            published.append(PublishedScore(
                market: score.market, surface: score.surface, track: score.track, scoreMicros: score.scoreMicros,
                campaignID: score.campaignID, subcampaignID: score.subcampaignID
            ))
        }
        return published
    }

    /// The order among promotions of one key with equal scores, smallest first: FNV-1a
    /// (64-bit) over the UTF-8 of `<market> US <surface> US <track> US <campaignId> US
    /// <subcampaignId>` (US: the unit separator, U+001F). Stable across processes and
    /// machines, unlike `Hasher`; it is an order, not a secret.
    public static func tieRank(_ score: PromotionScore) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        let separator = [UInt8(0x1F)]
        let parts = [score.market, score.surface, score.track, score.campaignID.rawValue, score.subcampaignID.rawValue]
        for (index, part) in parts.enumerated() {
            for byte in (index == 0 ? [] : separator) + Array(part.utf8) {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
        }
        return hash
    }

    /// The key-value key: `<market>.<surface>.<track>`, each part escaped by `keyToken(_:)`,
    /// so a watcher can subscribe to `SE.home.>` and every key is valid in NATS.
    public var key: String { Self.key(market: market, surface: surface, track: track) }

    /// The bucket key of a track × market × surface: `<market>.<surface>.<track>`, escaped.
    public static func key(market: String, surface: String, track: String) -> String {
        keyToken(market) + "." + keyToken(surface) + "." + keyToken(track)
    }

    /// `text` as one token of a key-value key.
    ///
    /// NATS keys allow only `[-/_=.a-zA-Z0-9]`, and `.` separates tokens, which must not be
    /// empty. Track ids may hold `.` and `:` (`Identifier.pattern`), and markets and surfaces
    /// from old events may hold any text. So every UTF-8 byte outside `[A-Za-z0-9_-]` becomes
    /// `=` and two uppercase hex digits (`trk.4:2` → `trk=2E4=3A2`), and the empty string
    /// becomes `=` alone. `=` appears in no id, market or surface the domain accepts, so ids
    /// and catalog values pass unchanged and the escaping is reversible.
    public static func keyToken(_ text: String) -> String {
        guard !text.isEmpty else { return "=" }
        // Ids and catalog values are almost always safe as they are: publishing a tick's
        // scores escapes tens of thousands of tokens.
        if text.utf8.allSatisfy(isKeySafe) { return text }
        var token = [UInt8]()
        token.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            if isKeySafe(byte) {
                token.append(byte)
            } else {
                token.append(UInt8(ascii: "="))
                token.append(hexDigits[Int(byte >> 4)])
                token.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: token, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func isKeySafe(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    /// The key-value entry's bytes: compact JSON with its keys in sorted order, and `score`
    /// as a decimal with exactly six fraction digits, written by hand so that no encoder's
    /// number formatting can change the bytes:
    /// `{"campaignId":"c","market":"SE","score":0.512345,"scoreMicros":512345,"subcampaignId":"s","surface":"home","track":"t"}`.
    public var value: [UInt8] {
        // Scores from `scores(at:)` are in range already; the clamp only keeps the text a decimal.
        let clamped = min(max(scoreMicros, 0), 1_000_000)
        let fraction = String(clamped % 1_000_000)
        let score = String(clamped / 1_000_000) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction
        let members = [
            "\"campaignId\":" + PublishedScore.jsonString(campaignID.rawValue),
            "\"market\":" + PublishedScore.jsonString(market),
            "\"score\":" + score,
            "\"scoreMicros\":" + String(scoreMicros),
            "\"subcampaignId\":" + PublishedScore.jsonString(subcampaignID.rawValue),
            "\"surface\":" + PublishedScore.jsonString(surface),
            "\"track\":" + PublishedScore.jsonString(track),
        ]
        return Array(("{" + members.joined(separator: ",") + "}").utf8)
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped, the rest as is.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u00"
                out += String(decoding: [hexDigits[Int(scalar.value >> 4)], hexDigits[Int(scalar.value & 0x0F)]], as: UTF8.self)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

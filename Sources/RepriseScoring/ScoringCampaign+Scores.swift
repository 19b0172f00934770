import RepriseDomain

extension ScoringCampaign {
    /// The promotion scores of this campaign at `now`, sorted: one per eligible
    /// (subcampaign × market × surface) that promotes a track. Ineligible promotions have
    /// no entry at all.
    ///
    /// Eligible ⇔ campaign status active ∧ subcampaign status active ∧
    /// flight.start ≤ now < flight.end ∧ campaign spent < campaign budget ∧
    /// (no maximum share ∨ subcampaign spend < budget × maxShare / 10 000) ∧
    /// the promoted item is a track.
    ///
    /// With R = budget − spent (minor units, > 0 when eligible), B = budget,
    /// F = flight.end − now and D = flight.end − flight.start (microseconds), the need is
    /// u = (R/B) / (F′/D′): the share of budget still to deliver over the share of flight
    /// still left (1 on pace, above 1 behind, below 1 ahead), where the flight left is never
    /// taken as less than an hour, F′ = max(F, H) with H = `needHorizonMicroseconds`, and
    /// D′ = max(D, F′). Without the floor, u grows without bound as F shrinks, so any
    /// campaign (a tiny budget, a flight that began long ago or ends in two minutes) could
    /// reach a score near 1 by waiting for its last minutes; with it, a flight shorter than
    /// the horizon never scores above on pace. The need is then capped at `maximumNeed` (3):
    /// three times behind pace is as needy as a promotion gets. The score is
    /// min(u, 3) / (1 + min(u, 3)) = min(R·D′ / (R·D′ + F′·B), 0.75), computed in Double,
    /// rounded to the nearest millionth (`Int((x * 1_000_000).rounded())`) and clamped to
    /// 0…750 000: 500 000 is on pace, 750 000 three or more times behind, towards 0 nearly
    /// done. Every subcampaign of a campaign gets the campaign's score; the cap on its share
    /// only decides whether a subcampaign is in. Equal scores are common at the cap; which
    /// promotion wins a key then is `PublishedScore.best(of:)`'s rule, which favours no id.
    ///
    /// Pure: IEEE arithmetic on the same inputs gives the same result on every machine, and
    /// nothing here reads a clock; `now` is the log's time (`LogTime`).
    public func scores(at now: Timestamp) -> [PromotionScore] {
        guard let scoreMicros = campaignScoreMicros(at: now) else { return [] }
        var scores: [PromotionScore] = []
        for subcampaign in subcampaigns where isEligible(subcampaign) {
            guard let track = subcampaign.track else { continue }
            for market in subcampaign.markets {
                for surface in subcampaign.surfaces {
                    scores.append(PromotionScore(
                        track: track.rawValue, market: market.rawValue, surface: surface.rawValue,
                        campaignID: campaignID, subcampaignID: subcampaign.id, scoreMicros: scoreMicros
                    ))
                }
            }
        }
        return scores.sorted()
    }

    /// The campaign-wide clauses of eligibility and the score they give; nil when ineligible.
    func campaignScoreMicros(at now: Timestamp) -> Int? {
        guard status == .active, flight.contains(now), spentMinor < budget.amountMinor else { return nil }
        let remaining = Double(Int128(budget.amountMinor) - Int128(spentMinor))  // R; 128 bits cannot overflow
        let total = Double(budget.amountMinor)  // B
        // Int64 differences: an old flight from year 1 to year 9999 still fits (3.2e17 µs).
        let flightLeft = max(flight.end.microsecondsSinceEpoch - now.microsecondsSinceEpoch, Self.needHorizonMicroseconds)  // F′
        let flightLength = max(flight.end.microsecondsSinceEpoch - flight.start.microsecondsSinceEpoch, flightLeft)  // D′
        let toDeliver = remaining * Double(flightLength)  // R·D′
        let x = min(toDeliver / (toDeliver + Double(flightLeft) * total), Self.maximumScore)
        return min(max(Int((x * 1_000_000).rounded()), 0), Self.maximumScoreMicros)
    }

    /// The least flight left the need is judged over: one hour, in microseconds.
    public static let needHorizonMicroseconds: Int64 = 3_600_000_000
    /// The most need a promotion can have: three times behind its pace.
    public static let maximumNeed = 3.0
    /// The highest score, maximumNeed / (1 + maximumNeed): 0.75.
    public static let maximumScore = maximumNeed / (1 + maximumNeed)
    /// The highest score in millionths: 750 000.
    public static let maximumScoreMicros = 750_000

    /// The subcampaign's own clauses: active, and under its cap if it has one.
    func isEligible(_ subcampaign: ScoringSubcampaign) -> Bool {
        guard subcampaign.status == .active else { return false }
        guard let maximum = subcampaign.maximumShareBasisPoints else { return true }
        // spend < budget × maxShare / 10 000, multiplied out in 128 bits: exact, no rounding, no overflow.
        return Int128(subcampaign.spentMinor) * Int128(ShareBounds.wholeBudgetBasisPoints)
            < Int128(budget.amountMinor) * Int128(maximum)
    }
}

/// One promotion's score: how much one campaign's subcampaign wants its track shown in one
/// market on one surface, in millionths (0…750 000; 500 000 is on pace).
public struct PromotionScore: Codable, Hashable, Comparable, Sendable {
    public var track: String
    public var market: String
    public var surface: String
    public var campaignID: CampaignID
    public var subcampaignID: SubcampaignID
    public var scoreMicros: Int

    public init(
        track: String, market: String, surface: String, campaignID: CampaignID, subcampaignID: SubcampaignID,
        scoreMicros: Int
    ) {
        self.track = track
        self.market = market
        self.surface = surface
        self.campaignID = campaignID
        self.subcampaignID = subcampaignID
        self.scoreMicros = scoreMicros
    }

    enum CodingKeys: String, CodingKey {
        case track, market, surface, campaignID = "campaignId", subcampaignID = "subcampaignId", scoreMicros
    }

    /// By (market, surface, track, campaign, subcampaign): the order rows are written in.
    /// The score comes last only so that the order agrees with `==`; one promotion has one
    /// score at a time, so it never decides the order of a campaign's scores.
    public static func < (lhs: PromotionScore, rhs: PromotionScore) -> Bool {
        (lhs.market, lhs.surface, lhs.track, lhs.campaignID, lhs.subcampaignID, lhs.scoreMicros)
            < (rhs.market, rhs.surface, rhs.track, rhs.campaignID, rhs.subcampaignID, rhs.scoreMicros)
    }
}

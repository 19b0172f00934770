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
    /// u = (R/B) / (F/D): the share of budget still to deliver over the share of flight still
    /// left (1 on pace, above 1 behind, below 1 ahead). The score is
    /// u / (1 + u) = R·D / (R·D + F·B), computed in Double, rounded to the nearest millionth
    /// (`Int((x * 1_000_000).rounded())`) and clamped to 0…1 000 000: 500 000 is on pace,
    /// towards 1 000 000 far behind, towards 0 nearly done. Every subcampaign of a campaign
    /// gets the campaign's score; the cap only decides whether a subcampaign is in.
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
        let flightLeft = Double(flight.end.microsecondsSinceEpoch - now.microsecondsSinceEpoch)  // F
        let flightLength = Double(flight.end.microsecondsSinceEpoch - flight.start.microsecondsSinceEpoch)  // D
        let toDeliver = remaining * flightLength  // R·D
        let x = toDeliver / (toDeliver + flightLeft * total)
        return min(max(Int((x * 1_000_000).rounded()), 0), 1_000_000)
    }

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
/// market on one surface, in millionths (0…1 000 000; 500 000 is on pace).
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

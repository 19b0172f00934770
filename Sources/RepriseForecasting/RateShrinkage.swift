import Foundation

/// Click-through and conversion rates by Beta-Binomial shrinkage: a campaign's own counts
/// pulled toward a prior (its segment's or surface's rate), so a line with 40 impressions
/// and no click is not "0%", and one with 3 impressions and 1 click is not "33%".
///
/// With prior Beta(α, β) and k successes in n trials, the posterior is Beta(α + k, β + n − k)
/// and its mean (k + α) / (n + α + β).
public struct RateEstimate: Sendable, Equatable, Codable {
    public var successes: Double
    public var trials: Double
    public var priorAlpha: Double
    public var priorBeta: Double

    /// A prior with mean `priorRate` worth `priorStrength` pseudo-trials.
    public init(successes: Double, trials: Double, priorRate: Double, priorStrength: Double) {
        self.successes = successes
        self.trials = trials
        let rate = min(max(priorRate, 1e-9), 1 - 1e-9)
        priorAlpha = rate * priorStrength
        priorBeta = (1 - rate) * priorStrength
    }

    /// The posterior mean.
    public var rate: Double { (successes + priorAlpha) / (trials + priorAlpha + priorBeta) }

    /// The posterior's standard deviation.
    public var standardDeviation: Double {
        let a = successes + priorAlpha
        let b = max(trials - successes, 0) + priorBeta
        return ((a * b) / ((a + b) * (a + b) * (a + b + 1))).squareRoot()
    }

    /// Approximate P10 and P90 of the rate (normal approximation of the posterior, clipped to [0, 1]).
    public var p10: Double { max(0, rate - 1.2816 * standardDeviation) }
    public var p90: Double { min(1, rate + 1.2816 * standardDeviation) }
}

/// Reach from impressions: how many distinct listeners `impressions` reach in an audience of `audience`.
public enum ReachModel {
    /// Each impression lands on a listener at random: N(1 − e^(−I/N)).
    public static func uniform(impressions: Double, audience: Double) -> Double {
        guard audience > 0, impressions > 0 else { return 0 }
        return audience * (1 - exp(-impressions / audience))
    }

    /// Listeners differ in how much they listen (a Gamma-Poisson audience with shape `r`):
    /// N[1 − (1 + I/(rN))^(−r)]. Tends to `uniform` as r grows.
    public static func negativeBinomial(impressions: Double, audience: Double, shape r: Double) -> Double {
        guard audience > 0, impressions > 0, r > 0 else { return 0 }
        return audience * (1 - pow(1 + impressions / (r * audience), -r))
    }
}

/// A seasonal smoothing model with the spread of its recent errors: point forecasts with
/// P10, P50 and P90 bounds, fitted to a history and kept current one observation at a time.
///
/// The bounds come from the model's recent errors at a calibration horizon of one shortest
/// season (a day of hourly steps), out of sample only: their median, and a spread from their
/// median absolute deviation, so one holiday among them does not widen every band. Each step, the
/// forecast it made that far back is compared with what happened. One-step errors would
/// understate what a forecast days ahead misses; errors a day ahead already carry the
/// day-to-day wobble and the seasonal indices' own error. Errors are ratios to the
/// forecast for multiplicative seasonality, differences for additive. The band does not
/// widen beyond the calibration horizon: on simulated supply, widening it as exponential
/// smoothing's variance grows (σ²ₕ = σ²(1 + (h − H)α²)) covered 85–90% of the days late
/// in a week ahead against the 80% meant, since the day-ahead errors already carry the
/// day-to-day wobble that dominates; without it eight seeds covered 75–84% of a week.
/// Nothing assumes the errors are normal: supply has long tails.
public struct SupplyForecaster: Sendable, Equatable, Codable {
    public private(set) var model: SeasonalSmoothing
    /// The last errors at the calibration horizon, oldest first, at most `errorWindow`.
    public private(set) var recentErrors: [Double]
    public let errorWindow: Int
    /// Steps ahead at which errors are measured.
    public let calibrationHorizon: Int
    /// Forecasts made `calibrationHorizon` steps before the step they are for, by that step
    /// modulo the horizon; nil until made.
    private var pending: [Double?]
    /// How unusual steps went against the forecast (ratios, or differences when additive),
    /// the latest at most 500: what a calendar-marked step ahead is expected to do.
    public private(set) var unusualEffects: [Double] = []

    /// One forecast step: P10 ≤ P50 ≤ P90.
    public struct Quantiles: Sendable, Equatable, Codable {
        public var p10: Double
        public var p50: Double
        public var p90: Double

        public init(p10: Double, p50: Double, p90: Double) {
            self.p10 = p10
            self.p50 = p50
            self.p90 = p90
        }
    }

    /// Fits the smoothing constants to `history` (a grid search minimising the one-step
    /// squared error after one longest cycle of burn-in), then observes it all.
    ///
    /// `unusual`: steps of `history` known to be out of the ordinary (public holidays, an
    /// outage), from a calendar. The model learns nothing from them and their errors do not
    /// widen the bands: it forecasts ordinary hours.
    public static func fit(
        history: [Double], periods: [Int], seasonality: SeasonalSmoothing.Seasonality? = nil, grid: ParameterGrid = .standard,
        unusual: Set<Int> = []
    ) throws(ForecastError) -> SupplyForecaster {
        let chosenSeasonality = seasonality ?? (history.contains { $0 < 0 } ? .additive : .multiplicative)
        let burnIn = periods.last ?? 2
        var best: (score: Double, parameters: SeasonalSmoothing.Parameters)?
        for parameters in grid.candidates(seasons: periods.count) {
            var model = try SeasonalSmoothing(history: history, periods: periods, seasonality: chosenSeasonality, parameters: parameters, unusual: unusual)
            var score = 0.0
            for (t, value) in history.enumerated() {
                if unusual.contains(t) {
                    model.observe(model.nextForecast)
                    continue
                }
                let error = model.observe(value)
                if t >= burnIn { score += error * error }
                if let best, score >= best.score { break }
            }
            if score.isFinite, best.map({ score < $0.score }) ?? true { best = (score, parameters) }
        }
        guard let chosen = best?.parameters else {
            throw ForecastError(code: .invalidValue, message: "no smoothing constants fit this history")
        }
        return try SupplyForecaster(history: history, periods: periods, seasonality: chosenSeasonality, parameters: chosen, unusual: unusual)
    }

    /// A forecaster with given constants that has observed `history` (`unusual`: as in `fit`).
    public init(
        history: [Double], periods: [Int], seasonality: SeasonalSmoothing.Seasonality, parameters: SeasonalSmoothing.Parameters,
        errorWindow: Int? = nil, unusual: Set<Int> = []
    ) throws(ForecastError) {
        model = try SeasonalSmoothing(history: history, periods: periods, seasonality: seasonality, parameters: parameters, unusual: unusual)
        self.errorWindow = errorWindow ?? min(1_000, max(48, 2 * (periods.last ?? 24)))
        calibrationHorizon = periods.first ?? 1
        pending = Array(repeating: nil, count: calibrationHorizon)
        recentErrors = []
        // Only errors out of sample: on steps the initial state was not estimated from.
        let burnIn = model.initialisationSteps
        for (t, value) in history.enumerated() {
            step(value, remembering: t >= burnIn, unusual: unusual.contains(t))
        }
    }

    /// Folds in the next observation; `unusual` for a step the calendar marks (a holiday),
    /// which the model then learns nothing from.
    public mutating func observe(_ value: Double, unusual: Bool = false) {
        step(value, remembering: true, unusual: unusual)
    }

    private mutating func step(_ value: Double, remembering: Bool, unusual: Bool) {
        let slot = model.step % calibrationHorizon
        if remembering, !unusual, let predicted = pending[slot] { remember(value, predicted: predicted) }
        if unusual, let effect = model.seasonality.effect(of: value, against: model.nextForecast) {
            unusualEffects.append(effect)
            if unusualEffects.count > 500 { unusualEffects.removeFirst(unusualEffects.count - 500) }
        }
        // An unusual step is passed over as if it had gone as forecast.
        model.observe(unusual ? model.nextForecast : value)
        // The forecast for the step `calibrationHorizon` after this one: its slot is this
        // step's, which was just read.
        pending[slot] = model.forecast(ahead: calibrationHorizon)
    }

    private mutating func remember(_ value: Double, predicted: Double) {
        guard let error = model.seasonality.effect(of: value, against: predicted) else { return }
        recentErrors.append(error)
        if recentErrors.count > errorWindow { recentErrors.removeFirst(recentErrors.count - errorWindow) }
    }

    /// P10, P50 and P90 for each of the next `steps` steps.
    /// `unusual`: which of the steps ahead (0: the next) the calendar marks; they are
    /// moved by the median effect unusual steps had so far (none learned yet: not moved).
    public func forecast(steps: Int, unusual: Set<Int> = []) -> [Quantiles] {
        guard steps > 0 else { return [] }
        let ordinary = ordinaryForecast(steps: steps)
        guard !unusual.isEmpty, !unusualEffects.isEmpty else { return ordinary }
        let effect = Self.quantile(unusualEffects.sorted(), 0.5)
        return ordinary.enumerated().map { index, step in
            guard unusual.contains(index) else { return step }
            let seasonality = model.seasonality
            return Quantiles(
                p10: seasonality.apply(effect, to: step.p10), p50: seasonality.apply(effect, to: step.p50),
                p90: seasonality.apply(effect, to: step.p90)
            )
        }
    }

    private func ordinaryForecast(steps: Int) -> [Quantiles] {
        let sorted = recentErrors.sorted()
        let neutral = model.seasonality == .multiplicative ? 1.0 : 0.0
        let q50 = sorted.isEmpty ? neutral : Self.quantile(sorted, 0.5)
        var q10 = sorted.isEmpty ? neutral : Self.quantile(sorted, 0.1)
        var q90 = sorted.isEmpty ? neutral : Self.quantile(sorted, 0.9)
        if sorted.count >= 24 {
            // The spread from the median absolute deviation (× 1.4826 a standard deviation,
            // × 1.2816 the 10th to 50th percentile of a normal): a holiday or an outage among
            // the recent errors widens it far less than it widens the raw 10th and 90th
            // percentiles, and the band is for ordinary hours.
            let deviation = Self.quantile(sorted.map { abs($0 - q50) }.sorted(), 0.5) * 1.4826 * 1.2816
            q10 = q50 - deviation
            q90 = q50 + deviation
        }
        return (1...steps).map { ahead in
            let point = model.forecast(ahead: ahead)
            switch model.seasonality {
            case .multiplicative:
                let median = point * q50
                return Quantiles(
                    p10: max(0, median - (q50 - q10) * point), p50: median, p90: median + (q90 - q50) * point
                )
            case .additive:
                let median = point + q50
                return Quantiles(p10: median - (q50 - q10), p50: median, p90: median + (q90 - q50))
            }
        }
    }

    /// The `q` quantile of `sorted`, interpolating between neighbours.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard sorted.count > 1 else { return sorted.first ?? 0 }
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }
}

/// The smoothing constants a fit tries. Each season's constant is chosen from the same list.
public struct ParameterGrid: Sendable {
    public var levels: [Double]
    public var trends: [Double]
    public var seasons: [Double]
    public var errorPersistences: [Double]

    public init(levels: [Double], trends: [Double], seasons: [Double], errorPersistences: [Double]) {
        self.levels = levels
        self.trends = trends
        self.seasons = seasons
        self.errorPersistences = errorPersistences
    }

    /// About a thousand candidates for two seasons: a fraction of a second per series in a
    /// release build.
    public static let standard = ParameterGrid(
        levels: [0.01, 0.03, 0.08, 0.15, 0.3], trends: [0, 0.01], seasons: [0.02, 0.05, 0.1, 0.2, 0.35],
        errorPersistences: [0, 0.5, 0.85]
    )

    func candidates(seasons count: Int) -> [SeasonalSmoothing.Parameters] {
        var seasonal: [[Double]] = [[]]
        for _ in 0..<count {
            seasonal = seasonal.flatMap { prefix in seasons.map { prefix + [$0] } }
        }
        var all: [SeasonalSmoothing.Parameters] = []
        for level in levels {
            for trend in trends {
                for seasonConstants in seasonal {
                    for persistence in errorPersistences {
                        all.append(.init(level: level, trend: trend, seasons: seasonConstants, errorPersistence: persistence))
                    }
                }
            }
        }
        return all
    }
}

/// How good forecasts were, against what happened: the measures forecasting teams read.
///
/// WAPE (Σ|y − ŷ| / Σ|y|) is the primary one: unlike MAPE it stays sane for cells that are
/// sometimes near zero. Coverage is the share of observations inside [P10, P90]; a well
/// calibrated forecaster covers about 80%.
public struct ForecastAccuracy: Sendable, Equatable, Codable {
    public private(set) var count = 0
    private var absoluteErrors = 0.0
    private var absoluteActuals = 0.0
    private var signedErrors = 0.0
    private var percentageErrors = 0.0
    private var percentageCount = 0
    private var covered = 0
    private var intervals = 0

    public init() {}

    /// Adds one forecast of `actual`; `interval` when the forecast had P10 and P90.
    public mutating func add(actual: Double, forecast: Double, interval: (p10: Double, p90: Double)? = nil) {
        count += 1
        absoluteErrors += abs(actual - forecast)
        absoluteActuals += abs(actual)
        signedErrors += forecast - actual
        if actual != 0 {
            percentageErrors += abs(actual - forecast) / abs(actual)
            percentageCount += 1
        }
        if let interval {
            intervals += 1
            if actual >= interval.p10 && actual <= interval.p90 { covered += 1 }
        }
    }

    public mutating func merge(_ other: ForecastAccuracy) {
        count += other.count
        absoluteErrors += other.absoluteErrors
        absoluteActuals += other.absoluteActuals
        signedErrors += other.signedErrors
        percentageErrors += other.percentageErrors
        percentageCount += other.percentageCount
        covered += other.covered
        intervals += other.intervals
    }

    /// Σ|y − ŷ| / Σ|y|; nil without actuals.
    public var wape: Double? { absoluteActuals > 0 ? absoluteErrors / absoluteActuals : nil }
    /// Mean of |y − ŷ| / |y| over non-zero actuals.
    public var mape: Double? { percentageCount > 0 ? percentageErrors / Double(percentageCount) : nil }
    /// Σ(ŷ − y) / Σ|y|: positive when forecasts run high.
    public var bias: Double? { absoluteActuals > 0 ? signedErrors / absoluteActuals : nil }
    /// Share of actuals inside [P10, P90]; nil when no forecast had an interval.
    public var coverage: Double? { intervals > 0 ? Double(covered) / Double(intervals) : nil }
}

/// The forecasts a model must beat.
public enum BaselineForecast {
    /// The value one `season` earlier: `ahead` steps past the first `observed` values of
    /// `series`, the latest of them at the same phase.
    public static func seasonalNaive(_ series: [Double], observed: Int, season: Int, ahead: Int) -> Double? {
        guard season > 0, ahead >= 1 else { return nil }
        let cycles = (ahead - 1) / season + 1
        let index = observed - 1 + ahead - cycles * season
        return index >= 0 && index < min(observed, series.count) ? series[index] : nil
    }

    /// The mean of the last `window` observations.
    public static func movingAverage(_ history: [Double], window: Int) -> Double? {
        guard window > 0, history.count >= window else { return nil }
        return history.suffix(window).reduce(0, +) / Double(window)
    }
}

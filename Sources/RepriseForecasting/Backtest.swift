/// A rolling-origin backtest: what forecasting teams run on their own traffic before they
/// trust a model. The smoothing constants are fitted once on the first `trainingSteps`;
/// then, from each origin after it, the model forecasts `horizon` steps, sees the next
/// observation and moves on. Accuracy is kept per step ahead and pooled, beside seasonal
/// naive (the same phase one longest season earlier, its interval from its own past errors).
public struct Backtest: Sendable {
    public struct Result: Sendable {
        /// Per step ahead (index 0: one step ahead).
        public var steps: [ForecastAccuracy]
        public var pooled: ForecastAccuracy
        public var seasonalNaiveSteps: [ForecastAccuracy]
        public var seasonalNaivePooled: ForecastAccuracy
        public var origins: Int
        public var parameters: SeasonalSmoothing.Parameters
        public var seasonality: SeasonalSmoothing.Seasonality
    }

    public let periods: [Int]
    public let horizon: Int
    public let grid: ParameterGrid

    public init(periods: [Int], horizon: Int, grid: ParameterGrid = .standard) {
        self.periods = periods
        self.horizon = horizon
        self.grid = grid
    }

    /// The fit uses two longest seasons, or two thirds of the series if that is more, and
    /// leaves at least one horizon to forecast.
    public func trainingSteps(for count: Int) -> Int {
        let longest = periods.last ?? 2
        return max(2 * longest, (count * 2) / 3 - horizon)
    }

    public func run(_ series: [Double]) throws(ForecastError) -> Result {
        guard horizon >= 1 else { throw ForecastError(code: .invalidParameters, message: "the horizon must be at least 1 step") }
        let training = trainingSteps(for: series.count)
        guard series.count >= training + horizon else {
            throw ForecastError(
                code: .notEnoughHistory,
                message: "needs at least \(training + horizon) rows (two of the longest season plus the horizon), got \(series.count)"
            )
        }
        var forecaster = try SupplyForecaster.fit(history: Array(series.prefix(training)), periods: periods, grid: grid)
        let season = periods.last ?? 1
        var steps = [ForecastAccuracy](repeating: ForecastAccuracy(), count: horizon)
        var naiveSteps = steps
        // Seasonal naive's own one-step ratios (or differences), for its interval.
        var naiveErrors: [Double] = []
        let seasonality = forecaster.model.seasonality
        for t in season..<training {
            if let past = BaselineForecast.seasonalNaive(series, observed: t, season: season, ahead: 1),
               let error = seasonality.effect(of: series[t], against: past) {
                naiveErrors.append(error)
            }
        }
        var origins = 0
        for origin in training..<series.count {
            origins += 1
            let forecasts = forecaster.forecast(steps: horizon)
            let sortedNaive = naiveErrors.sorted()
            for ahead in 1...horizon where origin + ahead - 1 < series.count {
                let actual = series[origin + ahead - 1]
                let forecast = forecasts[ahead - 1]
                steps[ahead - 1].add(actual: actual, forecast: forecast.p50, interval: (forecast.p10, forecast.p90))
                if let naive = BaselineForecast.seasonalNaive(series, observed: origin, season: season, ahead: ahead) {
                    let low = sortedNaive.isEmpty ? naive : seasonality.apply(SupplyForecaster.quantile(sortedNaive, 0.1), to: naive)
                    let high = sortedNaive.isEmpty ? naive : seasonality.apply(SupplyForecaster.quantile(sortedNaive, 0.9), to: naive)
                    naiveSteps[ahead - 1].add(actual: actual, forecast: naive, interval: (low, high))
                }
            }
            let value = series[origin]
            if let past = BaselineForecast.seasonalNaive(series, observed: origin, season: season, ahead: 1),
               let error = seasonality.effect(of: value, against: past) {
                naiveErrors.append(error)
                if naiveErrors.count > forecaster.errorWindow { naiveErrors.removeFirst() }
            }
            forecaster.observe(value)
        }
        var pooled = ForecastAccuracy()
        var naivePooled = ForecastAccuracy()
        for step in steps { pooled.merge(step) }
        for step in naiveSteps { naivePooled.merge(step) }
        return Result(
            steps: steps, pooled: pooled, seasonalNaiveSteps: naiveSteps, seasonalNaivePooled: naivePooled, origins: origins,
            parameters: forecaster.model.parameters, seasonality: forecaster.model.seasonality
        )
    }
}

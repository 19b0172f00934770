import RepriseDomain

/// How well supply forecasts made at one origin matched what came after, beside the
/// baselines a forecasting team checks every model against: seasonal naive (the same hour
/// a week earlier) and a seasonal moving average (the mean of the same hour of the week
/// over the last four weeks). Each baseline's P10–P90 band comes from its own errors over
/// the history, as ratios, so all three are judged on the same footing.
///
/// Pooled over nodes: WAPE weighs each node by its volume, as the supply it sells.
public struct SupplyForecastEvaluation: Sendable {
    /// One forecaster's scores: hour by hour (WAPE and P10–P90 coverage), and per node-day.
    public struct Scores: Sendable, Equatable {
        public var hourly = ForecastAccuracy()
        public var daily = ForecastAccuracy()
    }

    public private(set) var model = Scores()
    public private(set) var seasonalNaive = Scores()
    public private(set) var movingAverage = Scores()
    /// Nodes judged: those with a forecast, a history of at least two weeks, and actuals.
    public private(set) var nodes = 0

    public static let week = 168
    /// Weeks the moving average takes.
    public static let averagedWeeks = 4

    public init() {}

    /// Adds one node: `history` is its hourly counts up to the origin (the last one the hour
    /// before it), `actual` its counts from the origin on, `forecast` the forecast from the
    /// origin. Only the hours all three cover are judged, in whole days for the daily scores.
    public mutating func add(history: [Double], actual: [Double], forecast: NodeForecast) {
        let hours = min(actual.count, forecast.hours)
        guard history.count >= 2 * Self.week, hours > 0 else { return }
        nodes += 1
        let naive = (0..<hours).map { seasonalNaivePoint(history, ahead: $0) }
        let average = (0..<hours).map { movingAveragePoint(history, ahead: $0) }
        let naiveBand = Self.band(errors: (Self.week..<history.count).compactMap { t in
            Self.ratio(history[t], to: history[t - Self.week])
        })
        let averageBand = Self.band(errors: ((2 * Self.week)..<history.count).compactMap { t in
            Self.ratio(history[t], to: Self.sameHourMean(history, before: t))
        })
        for hour in 0..<hours {
            model.hourly.add(actual: actual[hour], forecast: forecast.p50[hour], interval: (forecast.p10[hour], forecast.p90[hour]))
            seasonalNaive.hourly.add(actual: actual[hour], forecast: naive[hour], interval: (naive[hour] * naiveBand.low, naive[hour] * naiveBand.high))
            movingAverage.hourly.add(
                actual: actual[hour], forecast: average[hour], interval: (average[hour] * averageBand.low, average[hour] * averageBand.high)
            )
        }
        for day in 0..<(hours / 24) {
            let range = (day * 24)..<((day + 1) * 24)
            let truth = range.map { actual[$0] }.reduce(0, +)
            model.daily.add(actual: truth, forecast: range.map { forecast.p50[$0] }.reduce(0, +))
            seasonalNaive.daily.add(actual: truth, forecast: range.map { naive[$0] }.reduce(0, +))
            movingAverage.daily.add(actual: truth, forecast: range.map { average[$0] }.reduce(0, +))
        }
    }

    /// The same hour one week (or, past a week ahead, whole weeks) before.
    private func seasonalNaivePoint(_ history: [Double], ahead: Int) -> Double {
        BaselineForecast.seasonalNaive(history, observed: history.count, season: Self.week, ahead: ahead + 1) ?? 0
    }

    private func movingAveragePoint(_ history: [Double], ahead: Int) -> Double {
        // Hour `ahead` of the forecast has the phase of index history.count + ahead.
        Self.sameHourMean(history, before: history.count + ahead % Self.week)
    }

    /// The mean of the same hour of the week over the (up to four) weeks before `t`.
    static func sameHourMean(_ history: [Double], before t: Int) -> Double {
        var values: [Double] = []
        var index = t - week
        while index >= 0, values.count < averagedWeeks {
            if index < history.count { values.append(history[index]) }
            index -= week
        }
        return values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    static func ratio(_ value: Double, to predicted: Double) -> Double? {
        predicted > 0 ? value / predicted : nil
    }

    /// The 10th and 90th percentile ratios of actual to forecast.
    static func band(errors: [Double]) -> (low: Double, high: Double) {
        let sorted = errors.sorted()
        guard !sorted.isEmpty else { return (1, 1) }
        return (SupplyForecaster.quantile(sorted, 0.1), SupplyForecaster.quantile(sorted, 0.9))
    }
}

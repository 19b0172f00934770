/// Exponential smoothing with any number of nested seasonal cycles: Taylor's (2003)
/// double-seasonal Holt-Winters when the periods are a day and a week of hourly steps
/// (24 and 168), plain Holt-Winters with one, and Holt's linear trend with none.
///
/// The state is a level, a trend, one index per phase of each cycle and the last one-step
/// error; `observe` folds one observation in, `forecast` projects the state forward. Both
/// are pure: a model fitted once and fed the same observations is bit-for-bit the same
/// wherever it runs, which is what a projection replayed from the log needs.
///
/// Seasonality is multiplicative (a quiet night is a share of the day's level, so it grows
/// with the level), or additive for series that can be zero or negative. Taylor's AR(1)
/// adjustment of the one-step error (`errorPersistence`) helps the first steps ahead and
/// fades after them.
public struct SeasonalSmoothing: Sendable, Equatable, Codable {
    public enum Seasonality: String, Sendable, Codable {
        case multiplicative, additive

        /// How `value` went against `predicted`: a ratio when multiplicative (nil for a
        /// forecast of about nothing, which says nothing about the spread), a difference
        /// when additive.
        public func effect(of value: Double, against predicted: Double) -> Double? {
            switch self {
            case .multiplicative: predicted > 1e-6 ? value / predicted : nil
            case .additive: value - predicted
            }
        }

        /// `base` moved by `effect` (an `effect(of:against:)`).
        public func apply(_ effect: Double, to base: Double) -> Double {
            switch self {
            case .multiplicative: base * effect
            case .additive: base + effect
            }
        }
    }

    /// The smoothing constants, each in [0, 1].
    public struct Parameters: Sendable, Equatable, Codable {
        /// How fast the level follows the observations.
        public var level: Double
        /// How fast the trend follows the level's changes (0: no trend).
        public var trend: Double
        /// How fast each cycle's indices follow, one per cycle.
        public var seasons: [Double]
        /// The AR(1) coefficient of the one-step error.
        public var errorPersistence: Double

        public init(level: Double, trend: Double, seasons: [Double], errorPersistence: Double) {
            self.level = level
            self.trend = trend
            self.seasons = seasons
            self.errorPersistence = errorPersistence
        }
    }

    public let periods: [Int]
    public let seasonality: Seasonality
    public let parameters: Parameters
    public private(set) var level: Double
    public private(set) var trend: Double
    /// One index per phase of each cycle, indexed by the step's phase in that cycle.
    public private(set) var indices: [[Double]]
    /// Steps observed since the start of the first cycle.
    public private(set) var step: Int
    /// The last one-step error (observation − forecast).
    public private(set) var lastError: Double
    /// How many of the first observations the initial state was estimated from: errors on
    /// them are in sample, and flatter than what the model will miss.
    public let initialisationSteps: Int

    /// Seasonal indices never fall below this share, so one empty hour cannot zero a phase
    /// of a multiplicative cycle for good.
    static let smallestIndex = 0.01

    /// Initial state from the first observations: at least two of the longest cycle (one
    /// for each cycle's shape, one more for the trend). `history` starts at phase 0.
    /// `unusual`: steps (holidays) that say nothing about the ordinary level, trend and
    /// seasons; they are left out of every mean and median here.
    public init(history: [Double], periods: [Int], seasonality: Seasonality, parameters: Parameters, unusual: Set<Int> = []) throws(ForecastError) {
        let sorted = periods.sorted()
        guard sorted == periods, Set(periods).count == periods.count, periods.allSatisfy({ $0 >= 2 }) else {
            throw ForecastError(code: .invalidSeasons, message: "seasons must be distinct, at least 2 steps, and in increasing order; got \(periods)")
        }
        guard parameters.seasons.count == periods.count else {
            throw ForecastError(code: .invalidParameters, message: "one seasonal smoothing constant per season is needed")
        }
        let cycle = periods.last ?? 1
        let needed = max(2 * cycle, 4)
        guard history.count >= needed else {
            throw ForecastError(code: .notEnoughHistory, message: "needs at least \(needed) observations (two of the longest season), got \(history.count)")
        }
        if seasonality == .multiplicative, history.contains(where: { $0 < 0 }) {
            throw ForecastError(code: .invalidValue, message: "multiplicative seasonality needs observations of 0 or more")
        }
        self.periods = periods
        self.seasonality = seasonality
        self.parameters = parameters
        // Up to eight whole cycles of the longest season: the more cycles, the less one
        // holiday or outage in them bends an index (each index is a median over cycles).
        // With three or more, the last is left out, so the errors made on it are honest
        // (out of sample) measures of what the model misses.
        let whole = history.count / cycle
        let cycles = periods.isEmpty ? 2 : min(8, whole >= 3 ? whole - 1 : whole)
        initialisationSteps = periods.isEmpty ? needed : cycles * cycle
        let window = Array(history.prefix(periods.isEmpty ? needed : cycles * cycle))
        // A holiday in the first or last cycle would read as trend: averages skip unusual steps.
        func ordinaryMean(_ range: Range<Int>) -> Double {
            let kept = range.filter { !unusual.contains($0) }
            guard !kept.isEmpty else { return range.map { window[$0] }.reduce(0, +) / Double(max(range.count, 1)) }
            return kept.map { window[$0] }.reduce(0, +) / Double(kept.count)
        }
        let firstCycle = ordinaryMean(0..<min(cycle, window.count))
        let lastCycle = ordinaryMean(max(0, window.count - cycle)..<window.count)
        trend = periods.isEmpty ? (window[1] - window[0]) : (lastCycle - firstCycle) / Double(cycle * (cycles - 1))
        let mean = ordinaryMean(0..<window.count)
        // Each cycle's indices are what is left of the phase medians once the shorter cycles
        // are taken out, so a week's index holds only what the day's does not.
        var indices: [[Double]] = []
        for period in periods {
            var samples = [[Double]](repeating: [], count: period)
            for (t, value) in window.enumerated() where !unusual.contains(t) {
                // The trend taken out too, so a growing series does not read as a season.
                var explained = mean + trend * (Double(t) - Double(window.count - 1) / 2)
                if seasonality == .multiplicative { explained = max(explained, 1e-9) }
                for (other, otherPeriod) in zip(indices, periods) {
                    explained = seasonality == .multiplicative ? explained * other[t % otherPeriod] : explained + other[t % otherPeriod]
                }
                samples[t % period].append(seasonality == .multiplicative ? value / explained : value - explained)
            }
            var cycleIndices = samples.map { $0.isEmpty ? (seasonality == .multiplicative ? 1 : 0) : Self.median($0) }
            if seasonality == .multiplicative {
                // Normalised to average 1, so the level carries the scale.
                let average = cycleIndices.reduce(0, +) / Double(period)
                cycleIndices = cycleIndices.map { max(Self.smallestIndex, average > 0 ? $0 / average : 1) }
            } else {
                let average = cycleIndices.reduce(0, +) / Double(period)
                cycleIndices = cycleIndices.map { $0 - average }
            }
            indices.append(cycleIndices)
        }
        self.indices = indices
        // The level at the start of the first cycle, so observing the history from step 0
        // walks through it once.
        level = firstCycle - trend * Double(cycle + 1) / 2
        step = 0
        lastError = 0
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The seasonal factor (or offset) of the step `ahead` steps after the last observed.
    private func seasonal(at step: Int) -> Double {
        var factor = seasonality == .multiplicative ? 1.0 : 0.0
        for (cycleIndices, period) in zip(indices, periods) {
            factor = seasonality == .multiplicative ? factor * cycleIndices[step % period] : factor + cycleIndices[step % period]
        }
        return factor
    }

    /// The point forecast of the next step.
    public var nextForecast: Double { forecast(ahead: 1) }

    /// The point forecast `ahead` steps after the last observation (1: the next step).
    public func forecast(ahead: Int) -> Double {
        precondition(ahead >= 1, "forecasts start one step ahead")
        let base = level + Double(ahead) * trend
        var persistence = 1.0
        for _ in 0..<ahead { persistence *= parameters.errorPersistence }
        let point = seasonality == .multiplicative ? base * seasonal(at: step + ahead - 1) : base + seasonal(at: step + ahead - 1)
        let adjusted = point + persistence * lastError
        return seasonality == .multiplicative ? max(0, adjusted) : adjusted
    }

    /// Folds in the observation of the next step; returns the one-step error it made.
    @discardableResult
    public mutating func observe(_ value: Double) -> Double {
        let predicted = forecast(ahead: 1)
        let error = value - predicted
        let previousLevel = level
        let expectedLevel = level + trend
        let p = parameters
        switch seasonality {
        case .multiplicative:
            let season = max(seasonal(at: step), Self.smallestIndex * Self.smallestIndex)
            level = p.level * (value / season) + (1 - p.level) * expectedLevel
            trend = p.trend * (level - previousLevel) + (1 - p.trend) * trend
            let safeLevel = max(level, 1e-9)
            for cycle in indices.indices {
                let phase = step % periods[cycle]
                let others = season / max(indices[cycle][phase], Self.smallestIndex)
                let observed = value / (safeLevel * max(others, 1e-9))
                indices[cycle][phase] = max(Self.smallestIndex, p.seasons[cycle] * observed + (1 - p.seasons[cycle]) * indices[cycle][phase])
            }
        case .additive:
            let season = seasonal(at: step)
            level = p.level * (value - season) + (1 - p.level) * expectedLevel
            trend = p.trend * (level - previousLevel) + (1 - p.trend) * trend
            for cycle in indices.indices {
                let phase = step % periods[cycle]
                let others = season - indices[cycle][phase]
                indices[cycle][phase] = p.seasons[cycle] * (value - level - others) + (1 - p.seasons[cycle]) * indices[cycle][phase]
            }
        }
        lastError = error
        step += 1
        return error
    }
}

/// Why a forecast could not be made; `message` is one line for the operator.
public struct ForecastError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let invalidSeasons = Code(rawValue: "invalid_seasons")
        public static let invalidParameters = Code(rawValue: "invalid_parameters")
        public static let notEnoughHistory = Code(rawValue: "not_enough_history")
        public static let invalidValue = Code(rawValue: "invalid_value")
        /// A row of an input series that cannot be read: its number is in the message.
        public static let invalidRow = Code(rawValue: "invalid_row")
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

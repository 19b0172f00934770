import ArgumentParser
import Foundation
import RepriseForecasting

/// `reprise forecast …`: the forecasting tools.
struct ForecastCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Forecasting tools.",
        subcommands: [ForecastBacktestCommand.self]
    )
}

/// `reprise forecast backtest`: the supply model, on any series, before anyone trusts it.
struct ForecastBacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Backtest the seasonal smoothing model on a timestamp,value series with a rolling origin, beside seasonal naive.",
        discussion: """
            The file holds `timestamp,value` rows (RFC 3339 timestamps), exactly one step apart; \
            a header row is allowed. The model's smoothing constants are fitted on the first two \
            longest seasons (or two thirds of the series); then from every later origin it \
            forecasts --horizon steps and sees one more row. Printed per step ahead and pooled: \
            MAPE, WAPE and P10-P90 coverage, beside seasonal naive (the same phase one longest \
            season earlier).
            """
    )

    @Option(help: "The series: timestamp,value rows.") var csv: String
    @Option(help: "Minutes between rows.") var stepMinutes: Int
    @Option(help: "Seasonal periods in steps, shortest first, such as 24,168 for hourly rows.") var seasons: String
    @Option(help: "Steps ahead to forecast from each origin.") var horizon: Int
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        let periods = try seasons.split(separator: ",").map { text -> Int in
            guard let period = Int(text.trimmingCharacters(in: .whitespaces)), period >= 2 else {
                throw CLIFailure("--seasons: '\(text)' is not a whole number of steps of 2 or more")
            }
            return period
        }
        guard horizon >= 1 else { throw CLIFailure("--horizon must be at least 1") }
        guard stepMinutes >= 1 else { throw CLIFailure("--step-minutes must be at least 1") }
        guard let data = FileManager.default.contents(atPath: csv) else { throw CLIFailure("cannot read \(csv)") }
        let result: Backtest.Result
        do {
            let series = try TimeSeriesCSV.parse(String(decoding: data, as: UTF8.self), stepMinutes: stepMinutes)
            result = try Backtest(periods: periods, horizon: horizon).run(series.values)
        } catch {
            throw CLIFailure("\(csv): \(error)")
        }
        if json {
            print(try report(result, periods: periods))
        } else {
            printTable(result)
        }
    }

    private func report(_ result: Backtest.Result, periods: [Int]) throws -> String {
        func number(_ value: Double?) -> Any { value.map { $0 as Any } ?? NSNull() }
        func measures(_ accuracy: ForecastAccuracy) -> [String: Any] {
            ["mape": number(accuracy.mape), "wape": number(accuracy.wape), "bias": number(accuracy.bias),
             "coverage": ["p10p90": number(accuracy.coverage)], "count": accuracy.count]
        }
        var backtest = measures(result.pooled)
        backtest["origins"] = result.origins
        backtest["steps"] = result.steps.enumerated().map { index, step in measures(step).merging(["ahead": index + 1]) { a, _ in a } }
        backtest["model"] = [
            "seasons": periods, "seasonality": result.seasonality.rawValue,
            "alpha": result.parameters.level, "beta": result.parameters.trend, "seasonal": result.parameters.seasons,
            "phi": result.parameters.errorPersistence,
        ] as [String: Any]
        var naive = measures(result.seasonalNaivePooled)
        naive["steps"] = result.seasonalNaiveSteps.enumerated().map { index, step in measures(step).merging(["ahead": index + 1]) { a, _ in a } }
        let object: [String: Any] = ["backtest": backtest, "baselines": ["seasonalNaive": naive]]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        return String(decoding: data, as: UTF8.self)
    }

    private func printTable(_ result: Backtest.Result) {
        func percent(_ value: Double?) -> String { value.map { String(format: "%6.2f%%", $0 * 100) } ?? "     -" }
        let p = result.parameters
        print("model: \(result.seasonality.rawValue) seasonal smoothing, seasons \(seasons), alpha \(p.level), beta \(p.trend), seasonal \(p.seasons), phi \(p.errorPersistence); \(result.origins) origins")
        print("ahead      MAPE     WAPE  P10-P90 | naive MAPE    WAPE  P10-P90")
        for (index, step) in result.steps.enumerated() {
            let naive = result.seasonalNaiveSteps[index]
            print(String(format: "%5d", index + 1) + "  \(percent(step.mape)) \(percent(step.wape)) \(percent(step.coverage)) |    \(percent(naive.mape)) \(percent(naive.wape)) \(percent(naive.coverage))")
        }
        print("  all  \(percent(result.pooled.mape)) \(percent(result.pooled.wape)) \(percent(result.pooled.coverage)) |    \(percent(result.seasonalNaivePooled.mape)) \(percent(result.seasonalNaivePooled.wape)) \(percent(result.seasonalNaivePooled.coverage))")
    }
}

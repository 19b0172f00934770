import ArgumentParser
import Foundation
import RepriseSettings

/// Prints every setting, its value and where the value came from.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the settings in effect and where each comes from (flag, environment or default)."
    )

    @OptionGroup var common: CommonOptions

    func run() throws {
        let resolver = SettingsResolver(environment: ProcessInfo.processInfo.environment)
        let flags: [String: String?] = [
            Settings.postgresURL.key: common.postgresURL,
            Settings.natsURL.key: common.natsURL,
            Settings.logLevel.key: common.logLevel,
        ]
        // Every key in full, however long the longest.
        let keyWidth = (Settings.all.map(\.key.count).max() ?? 0) + 1
        for setting in Settings.all {
            let resolved = resolver.resolve(setting, flag: flags[setting.key] ?? nil)
            let name = setting.key.padding(toLength: keyWidth, withPad: " ", startingAt: 0)
            let source = "(\(resolved.source.rawValue))".padding(toLength: 14, withPad: " ", startingAt: 0)
            print("\(name)\(source)\(resolved.displayValue)")
        }
    }
}

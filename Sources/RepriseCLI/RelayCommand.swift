import ArgumentParser
import Foundation
import ReprisePlatform
import RepriseSettings

/// `reprise relay`: publishes the event log to JetStream until SIGTERM or SIGINT. Start as
/// many as you like; one leads, the others stand by.
struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Publish the event log to the JetStream stream EVENTS, in order; one leader at a time."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let options = try common.resolve()
        let logger = options.makeLogger(label: "reprise.relay")
        var configuration = try PlatformConfiguration.resolve(
            SettingsResolver(environment: ProcessInfo.processInfo.environment), flags: common.platformFlags(), components: [.relay]
        )
        configuration.natsClientName = "reprise-relay"
        let platform = try await Platform.build(configuration, logger: logger)
        try await platform.run(logger: logger)
    }
}

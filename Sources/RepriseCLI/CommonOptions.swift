import Synchronization
import ArgumentParser
import Foundation
import Logging
import ReprisePlatform
import RepriseSettings

/// Flags every subcommand that talks to the servers accepts.
///
/// Each flag overrides the environment variable of the same setting, which overrides
/// its default (see `Settings`).
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("postgres-url"), help: "PostgreSQL URL [env: REPRISE_POSTGRES_URL]")
    var postgresURL: String?

    @Option(name: .customLong("nats-url"), help: "NATS URL [env: REPRISE_NATS_URL]")
    var natsURL: String?

    @Option(name: .customLong("log-level"), help: "trace|debug|info|notice|warning|error|critical [env: REPRISE_LOG_LEVEL]")
    var logLevel: String?

    /// These flags and a command's own, for `PlatformConfiguration.resolve`.
    func platformFlags(
        httpHost: String? = nil, httpPort: String? = nil, apiKeysFile: String? = nil,
        postgresPoolSize: String? = nil, migrationsDirectory: String? = nil
    ) -> PlatformConfiguration.Flags {
        PlatformConfiguration.Flags(
            postgresURL: postgresURL, postgresPoolSize: postgresPoolSize, natsURL: natsURL, httpHost: httpHost,
            httpPort: httpPort, apiKeysFile: apiKeysFile, migrationsDirectory: migrationsDirectory
        )
    }

    /// The settings after precedence was applied, read once per process.
    func resolve() throws -> ResolvedOptions {
        let resolver = SettingsResolver(environment: ProcessInfo.processInfo.environment)
        let level = resolver.resolve(Settings.logLevel, flag: logLevel)
        guard let parsedLevel = Logger.Level(rawValue: level.value) else {
            throw SettingError(
                code: .invalidValue, setting: Settings.logLevel, source: level.source,
                reason: "'\(level.value)' is not one of trace, debug, info, notice, warning, error, critical"
            )
        }
        return ResolvedOptions(
            postgresURL: resolver.resolve(Settings.postgresURL, flag: postgresURL),
            natsURL: resolver.resolve(Settings.natsURL, flag: natsURL),
            logLevel: parsedLevel
        )
    }
}

struct ResolvedOptions: Sendable {
    let postgresURL: ResolvedSetting
    let natsURL: ResolvedSetting
    let logLevel: Logger.Level

    /// Sets up logging for the process: structured lines on standard error.
    func makeLogger(label: String) -> Logger {
        LoggingBootstrap.once(level: logLevel)
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        return logger
    }
}

enum LoggingBootstrap {
    private static let done = Mutex(false)

    static func once(level: Logger.Level) {
        done.withLock { done in
            guard !done else { return }
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            done = true
        }
    }
}

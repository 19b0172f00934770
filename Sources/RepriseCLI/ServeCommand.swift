import ArgumentParser
import Foundation
import RepriseAPI
import ReprisePlatform
import RepriseSettings

/// `reprise serve`: the platform in one process (the HTTP command API, the relay, the
/// ticker and the projectors) until SIGTERM or SIGINT. `--components` picks a subset, to
/// run each part in a process of its own.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the API, relay, ticker and projectors until SIGTERM or SIGINT, letting in-flight work finish."
    )

    @Option(help: "Comma-separated parts to run: api, relay, ticker, projectors.")
    var components = PlatformComponent.allCases.map(\.rawValue).joined(separator: ",")

    @Option(name: .customLong("metrics-port"), help: "Without the API: serve /metrics and /health/live on this port (on http.host).")
    var metricsPort: Int?

    @Option(name: .customLong("tick-interval"), help: "Seconds between clock ticks (60 in production; the demo uses fewer).")
    var tickInterval: Double = 60

    @OptionGroup var common: CommonOptions

    @Option(name: .customLong("http-host"), help: "Listen address [env: REPRISE_HTTP_HOST]")
    var httpHost: String?

    @Option(name: .customLong("http-port"), help: "Listen port [env: REPRISE_HTTP_PORT]")
    var httpPort: String?

    @Option(name: .customLong("api-keys-file"), help: "API keys file [env: REPRISE_API_KEYS_FILE]")
    var apiKeysFile: String?

    @Option(name: .customLong("postgres-pool-size"), help: "Most PostgreSQL connections [env: REPRISE_POSTGRES_POOL_SIZE]")
    var postgresPoolSize: String?

    @Option(name: .customLong("migrations-dir"), help: "Folder of NNNN_name.sql files [env: REPRISE_MIGRATIONS_DIR]")
    var migrationsDirectory: String?

    func run() async throws {
        let options = try common.resolve()
        let logger = options.makeLogger(label: "reprise.serve")
        guard tickInterval >= 0.01 else { throw CLIFailure("--tick-interval must be at least 0.01 seconds") }
        var configuration: PlatformConfiguration
        do {
            configuration = try PlatformConfiguration.resolve(
                SettingsResolver(environment: ProcessInfo.processInfo.environment),
                flags: common.platformFlags(
                    httpHost: httpHost, httpPort: httpPort, apiKeysFile: apiKeysFile,
                    postgresPoolSize: postgresPoolSize, migrationsDirectory: migrationsDirectory
                ),
                components: try PlatformComponent.parse(components)
            )
        } catch let error as PlatformError {
            throw CLIFailure(error.description)
        }
        configuration.natsClientName = "reprise-serve"
        configuration.tickInterval = .milliseconds(Int64(tickInterval * 1000))
        configuration.metricsPort = metricsPort
        let platform = try await Platform.build(configuration, logger: logger)
        try await platform.run(logger: logger)
    }
}

/// `reprise api-key …`: helpers for the operator's keys file.
struct APIKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-key",
        abstract: "Work with API keys.",
        subcommands: [APIKeyHashCommand.self]
    )
}

struct APIKeyHashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Print the SHA-256 hash of a key read from standard input, as the API keys file holds it.",
        discussion: """
            The key is read from standard input (its first line; the line break is not part of it), \
            never from the arguments, where other users of the machine and the shell's history \
            would see it: `reprise api-key hash < key-file`, or `printf %s "$KEY" | reprise api-key hash`.
            """
    )

    func run() throws {
        guard let key = APIKeyHashCommand.key(fromInput: FileHandle.standardInput.readDataToEndOfFile()) else {
            throw CLIFailure("no key on standard input; pipe it in: `reprise api-key hash < key-file`")
        }
        print(APIKeyring.hash(key))
    }

    /// The first line of `input`, without its line break; nil when it is empty.
    static func key(fromInput input: Data) -> String? {
        let firstLine = String(String(decoding: input, as: UTF8.self).prefix(while: { !$0.isNewline }))
        return firstLine.isEmpty ? nil : firstLine
    }
}

import ArgumentParser
import Foundation
import Logging
import Postgres
import RepriseAPI
import RepriseCampaigns
import RepriseEventStore
import RepriseMigrations
import RepriseSettings
import ServiceLifecycle

/// `reprise serve`: the HTTP command API, with its PostgreSQL pool, until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP command API until SIGTERM or SIGINT, letting in-flight requests finish."
    )

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
        let resolver = SettingsResolver(environment: ProcessInfo.processInfo.environment)
        let port = try integer(resolver.resolve(Settings.httpPort, flag: httpPort), Settings.httpPort, in: 0...65_535)
        let poolSize = try integer(resolver.resolve(Settings.postgresPoolSize, flag: postgresPoolSize), Settings.postgresPoolSize, in: 1...1_000)
        let keysFile = resolver.resolve(Settings.apiKeysFile, flag: apiKeysFile).value
        let keyring: APIKeyring
        do {
            keyring = try APIKeyring(parsing: try String(contentsOfFile: keysFile, encoding: .utf8))
        } catch {
            throw CLIFailure("cannot read API keys from \(keysFile): \(error)")
        }
        let migrations = try Migration.load(from: resolver.resolve(Settings.migrationsDirectory, flag: migrationsDirectory).value)

        let pool = PostgresConnectionPool(
            configuration: PostgresConfiguration(url: options.postgresURL.value), maxConnections: poolSize, logger: logger
        )
        let store = PostgresEventStore(pool: pool, logger: logger)
        let configuration = APIConfiguration(host: resolver.resolve(Settings.httpHost, flag: httpHost).value, port: port)
        let application = buildApplication(
            configuration: configuration,
            services: APIServices(
                handler: CampaignCommandHandler(store: store, logger: logger), audit: CampaignAudit(store: store),
                directory: CampaignDirectory(store: store),
                keyring: keyring, readiness: ReadinessCheck(pool: pool, migrations: migrations, logger: logger),
                idempotencyKeys: IdempotencyKeys(pool: pool), bodyLimit: configuration.bodyLimit, logger: logger
            )
        )
        // The application is listed after the pool so that it stops first: requests in
        // flight finish while their connections are still there.
        let group = ServiceGroup(configuration: .init(
            services: [pool, application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        try await group.run()
    }

    private func integer(_ resolved: ResolvedSetting, _ setting: Setting, in range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(resolved.value), range.contains(value) else {
            throw SettingError(
                code: .invalidValue, setting: setting, source: resolved.source,
                reason: "'\(resolved.value)' is not a whole number from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return value
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
        abstract: "Print the SHA-256 hash of a key, as the API keys file holds it."
    )

    @Argument(help: "The key in the clear.")
    var key: String

    func run() {
        print(APIKeyring.hash(key))
    }
}

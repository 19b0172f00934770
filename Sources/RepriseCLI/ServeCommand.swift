import ArgumentParser
import Foundation
import Logging
import NATS
import Postgres
import Prometheus
import RepriseAPI
import RepriseCampaigns
import RepriseEventStore
import RepriseMigrations
import RepriseProjections
import RepriseRelay
import RepriseScores
import RepriseSettings
import ServiceLifecycle

/// `reprise serve`: the platform in one process (the HTTP command API, the relay, the
/// ticker and the projectors) until SIGTERM or SIGINT. `--components` picks a subset, to
/// run each part in a process of its own.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the API, relay, ticker and projectors until SIGTERM or SIGINT, letting in-flight work finish."
    )

    enum Component: String, CaseIterable {
        case api, relay, ticker, projectors
    }

    @Option(help: "Comma-separated parts to run: api, relay, ticker, projectors.")
    var components = Component.allCases.map(\.rawValue).joined(separator: ",")

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
        let resolver = SettingsResolver(environment: ProcessInfo.processInfo.environment)
        let port = try integer(resolver.resolve(Settings.httpPort, flag: httpPort), Settings.httpPort, in: 0...65_535)
        let poolSize = try integer(resolver.resolve(Settings.postgresPoolSize, flag: postgresPoolSize), Settings.postgresPoolSize, in: 1...1_000)
        let selected = try parseComponents()
        let fanout = try FanoutSettings(resolver: resolver)
        let registry = PrometheusCollectorRegistry()
        let pool = PostgresConnectionPool(
            configuration: PostgresConfiguration(url: options.postgresURL.value), maxConnections: poolSize, logger: logger
        )
        let store = PostgresEventStore(pool: pool, logger: logger)
        // Order matters for shutdown: services stop in reverse, so the API stops taking
        // requests first and the pool goes last.
        var services: [any Service] = [pool]
        var nats: NATSConnection?
        if selected.contains(.relay) || selected.contains(.projectors) {
            nats = try await NATSConnection.connect(url: options.natsURL.value, name: "reprise-serve", logger: logger)
        }
        if selected.contains(.projectors), let nats {
            let jetStream = try nats.jetStream()
            let publisher = ScorePublisher(jetStream: jetStream, configuration: fanout.scores, logger: logger)
            services.append(ProjectorService(
                projection: PromotionScoresProjection(publisher: publisher), pool: pool, jetStream: jetStream,
                configuration: fanout.projectors, metrics: ProjectorMetrics(registry: registry), logger: logger
            ))
        }
        if selected.contains(.relay), let nats {
            services.append(Relay(
                postgres: PostgresConfiguration(url: options.postgresURL.value), jetStream: try nats.jetStream(),
                configuration: fanout.relay, metrics: RelayMetrics(registry: registry), logger: logger
            ))
        }
        if selected.contains(.ticker) {
            guard tickInterval >= 0.01 else { throw CLIFailure("--tick-interval must be at least 0.01 seconds") }
            services.append(ClockTicker(store: store, interval: .milliseconds(Int64(tickInterval * 1000)), logger: logger))
        }
        if selected.contains(.api) {
            let keysFile = resolver.resolve(Settings.apiKeysFile, flag: apiKeysFile).value
            let keyring: APIKeyring
            do {
                keyring = try APIKeyring(parsing: try String(contentsOfFile: keysFile, encoding: .utf8))
            } catch {
                throw CLIFailure("cannot read API keys from \(keysFile): \(error)")
            }
            let migrations = try Migration.load(from: resolver.resolve(Settings.migrationsDirectory, flag: migrationsDirectory).value)
            let configuration = APIConfiguration(host: resolver.resolve(Settings.httpHost, flag: httpHost).value, port: port)
            services.append(buildApplication(
                configuration: configuration,
                services: APIServices(
                    handler: CampaignCommandHandler(store: store, logger: logger), audit: CampaignAudit(store: store),
                    directory: CampaignDirectory(store: store),
                    keyring: keyring, readiness: ReadinessCheck(pool: pool, migrations: migrations, logger: logger),
                    idempotencyKeys: IdempotencyKeys(pool: pool), bodyLimit: configuration.bodyLimit, logger: logger,
                    metrics: APIMetrics(registry: registry),
                    scores: { market, surface in Array(try await ScoreQueries.published(market: market, surface: surface, on: pool).values) }
                )
            ))
        }
        if !selected.contains(.api), let metricsPort {
            services.append(buildOperationsApplication(
                host: resolver.resolve(Settings.httpHost, flag: httpHost).value, port: metricsPort, registry: registry, logger: logger
            ))
        }
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        do {
            try await group.run()
        } catch let error as RelayError {
            await nats?.close()
            throw CLIFailure(error.description)
        }
        await nats?.close()
    }

    private func parseComponents() throws -> Set<Component> {
        var selected = Set<Component>()
        for name in components.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let component = Component(rawValue: name) else {
                throw CLIFailure("unknown component '\(name)'; choose from api, relay, ticker, projectors")
            }
            selected.insert(component)
        }
        guard !selected.isEmpty else { throw CLIFailure("--components names no component") }
        return selected
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

import Logging
import NATS
import Postgres
import Prometheus
import RepriseAPI
import RepriseCampaigns
import RepriseDomain
import RepriseEventLog
import RepriseEventStore
import RepriseProjectionCore
import RepriseProjections
import RepriseReadModels
import RepriseRelay
import RepriseRuntime
import RepriseScores
import RepriseScoring
import ServiceLifecycle
import UnixSignals

/// The composition root: the one place that knows every part and how they fit.
///
/// `build` makes the pool, the NATS connection (only when the relay or the projectors
/// run), the event store, the command handler, the projections, the relay, the ticker and
/// the API from a `PlatformConfiguration`, and hands back the `Service`s to run in order.
/// `reprise serve`, `reprise demo`, the benchmarks and the integration and fault tests all
/// start the platform here, so they run what production runs.
public struct Platform: Sendable {
    public let configuration: PlatformConfiguration
    public let pool: PostgresConnectionPool
    /// The relay's NATS connection, else the first projector's (they share one when no
    /// per-user URLs are configured); nil when neither runs here.
    public let nats: NATSConnection?
    public let store: PostgresEventStore
    public let commands: CampaignCommandHandler
    public let audit: CampaignAudit
    /// Every metric of every part; `/metrics` exposes it.
    public let registry: PrometheusCollectorRegistry
    /// Publishes the scores to the NATS bucket; nil when the projectors do not run here.
    public let scorePublisher: ScorePublisher?
    /// The services in start order. A `ServiceGroup` stops them in reverse, so the API
    /// stops taking requests first, and NATS and then the pool close last.
    public let services: [any Service]
    /// What the API's routes use; nil when the API does not run here.
    public let apiServices: APIServices?
    private let apiAddress: PortPromise

    /// The routes the API registers, as the OpenAPI document names them.
    public var apiRoutes: [APIRoute] { apiServices.map { APIRouter.build($0).routes } ?? [] }

    /// Test hooks: what the API reads and appends through, where a test needs to step in.
    public struct Overrides: Sendable {
        /// Wraps the store that commands append through (a test lets a rival writer in).
        public var commandStore: @Sendable (PostgresEventStore) -> any EventStore
        /// Answers `GET /scores` instead of the scores projection.
        public var scores: ScoreLookup?

        public init(commandStore: @escaping @Sendable (PostgresEventStore) -> any EventStore = { $0 }, scores: ScoreLookup? = nil) {
            self.commandStore = commandStore
            self.scores = scores
        }
    }

    /// Every projection the platform keeps. Adding a projector is one line here: the live
    /// projectors, `reprise projection rebuild/verify` and the tests all take this list.
    public static let projections: [any Projection] = [
        PromotionScoresProjection(),
        CampaignsProjection(),
    ]

    /// Builds every part the configuration's components need. Nothing runs until the
    /// services do; if building fails after NATS connected, the connection is closed.
    public static func build(
        _ configuration: PlatformConfiguration, logger: Logger, overrides: Overrides = .init()
    ) async throws -> Platform {
        let components = configuration.components
        let registry = PrometheusCollectorRegistry()
        let pool = PostgresConnectionPool(
            configuration: configuration.postgres, maxConnections: configuration.postgresPoolSize,
            maxWaiters: configuration.postgresPoolMaxWaiters ?? .max, waitTimeout: configuration.postgresPoolWaitTimeout, logger: logger
        )
        // Readiness and the horizon gauge: one connection of their own, so they never wait
        // behind commands, and commands never wait behind them.
        let monitoringPool = PostgresConnectionPool(
            configuration: configuration.postgres, maxConnections: 1, maxWaiters: 16, waitTimeout: .seconds(2), logger: logger
        )
        let store = PostgresEventStore(pool: pool, logger: logger)
        let commands = CampaignCommandHandler(
            store: overrides.commandStore(store), logger: logger, rules: configuration.bookingRules,
            openCampaigns: ProjectedCampaignList(pool: pool), snapshots: store
        )
        let audit = CampaignAudit(store: store)
        let apiAddress = PortPromise()

        // One connection per NATS user: the relay and each projector connect as their own
        // user when configured (ops/nats/nats-server.conf), else they share `natsURL`.
        let keptProjections = components.contains(.projectors)
            ? projections.filter { configuration.projections?.contains($0.name) ?? true } : []
        var natsUsers = NATSUsers(configuration: configuration, logger: logger)
        do {
            for projection in keptProjections {
                try await natsUsers.connect(configuration.projectorNATSURLs[projection.name], role: "projector-\(projection.name)")
            }
            if components.contains(.relay) { try await natsUsers.connect(configuration.relayNATSURL, role: "relay") }
        } catch {
            await natsUsers.closeAll()
            throw error
        }
        let nats = natsUsers.primary(relayRuns: components.contains(.relay))
        do {
            var services: [any Service] = [
                pool, monitoringPool,
                LogHorizonMonitor(pool: monitoringPool, interval: configuration.horizonInterval, registry: registry, logger: logger),
            ]
            services.append(contentsOf: natsUsers.connections)
            var publisher: ScorePublisher?
            var apiServices: APIServices?
            if !keptProjections.isEmpty {
                // Who publishes a projection's changes to outside subscribers, by projection.
                var publishers: [String: any ProjectionPublisher] = [:]
                for projection in keptProjections {
                    let jetStream = try natsUsers.connection(for: configuration.projectorNATSURLs[projection.name]).jetStream()
                    if projection.name == PromotionScoresProjection().name {
                        let scores = ScorePublisher(jetStream: jetStream, configuration: configuration.scores, logger: logger)
                        publisher = scores
                        publishers[projection.name] = scores
                    }
                    services.append(projector(
                        projection, publisher: publishers[projection.name], pool: pool, jetStream: jetStream,
                        configuration: configuration, registry: registry, logger: logger
                    ))
                }
            }
            if components.contains(.relay) {
                services.append(Relay(
                    postgres: configuration.postgres, jetStream: try natsUsers.connection(for: configuration.relayNATSURL).jetStream(),
                    configuration: configuration.relay, metrics: RelayMetrics(registry: registry), logger: logger
                ))
            }
            if components.contains(.ticker) {
                services.append(ClockTicker(store: store, interval: configuration.tickInterval, logger: logger))
            }
            if components.contains(.api) {
                let readiness = PostgresReadiness(pool: monitoringPool, migrations: configuration.migrations, logger: logger)
                let routeServices = APIServices(
                    handler: commands, audit: audit, campaigns: ProjectedCampaignList(pool: pool), keyring: configuration.keyring,
                    readiness: { await readiness.readiness() }, idempotencyKeys: IdempotencyKeys(store: store),
                    bodyLimit: configuration.api.bodyLimit, logger: logger, metrics: APIMetrics(registry: registry),
                    scores: overrides.scores ?? { market, surface in
                        Array(try await ScoreQueries.published(market: market, surface: surface, on: pool).values)
                    },
                    clock: configuration.clock
                )
                apiServices = routeServices
                services.append(IdempotencyKeyExpiry(store: store, retention: configuration.idempotencyRetention, logger: logger))
                services.append(buildApplication(configuration: configuration.api, services: routeServices) { channel in
                    apiAddress.fulfil(channel.localAddress?.port ?? configuration.api.port)
                })
            } else if let metricsPort = configuration.metricsPort {
                services.append(buildOperationsApplication(
                    host: configuration.api.host, port: metricsPort, registry: registry, logger: logger
                ))
            }
            return Platform(
                configuration: configuration, pool: pool, nats: nats, store: store, commands: commands, audit: audit,
                registry: registry, scorePublisher: publisher, services: services, apiServices: apiServices,
                apiAddress: apiAddress
            )
        } catch {
            await natsUsers.closeAll()
            throw error
        }
    }

    private static func projector(
        _ projection: some Projection, publisher: (any ProjectionPublisher)?, pool: PostgresConnectionPool,
        jetStream: JetStreamContext, configuration: PlatformConfiguration, registry: PrometheusCollectorRegistry, logger: Logger
    ) -> any Service {
        ProjectorService(
            projection: projection, pool: pool, jetStream: jetStream, configuration: configuration.projectors,
            metrics: ProjectorMetrics(registry: registry), publisher: publisher, logger: logger
        )
    }

    /// The port the API listens on, once it does (the configured one, or the one the system
    /// chose for port 0). Throws if the platform stopped before the API started.
    public func apiPort() async throws -> Int {
        guard configuration.components.contains(.api) else {
            throw PlatformError(code: .notStarted, message: "the API is not among this platform's components")
        }
        return try await apiAddress.value()
    }

    /// Runs the services until one of `signals` (or a failing service) stops them.
    public func run(gracefulShutdownSignals signals: [UnixSignal] = [.sigterm, .sigint], logger: Logger) async throws {
        try await run(ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: signals, logger: logger)))
    }

    /// Runs `group`; however it ends, `apiPort()` stops waiting for a server that is gone.
    private func run(_ group: ServiceGroup) async throws {
        do {
            try await group.run()
        } catch {
            apiAddress.fail(PlatformError(code: .notStarted, message: "the platform stopped: \(error)"))
            throw error
        }
        apiAddress.fail(PlatformError(code: .notStarted, message: "the platform stopped"))
    }

    /// Builds the platform, runs its services while `body` runs, then shuts them down
    /// gracefully and waits for them: for the demo, the benchmarks and the tests.
    /// A service that fails stops the others and ends `apiPort()` waits; its error is
    /// thrown after `body` returns, unless `body` threw first.
    @discardableResult
    public static func withRunning<R: Sendable>(
        _ configuration: PlatformConfiguration, logger: Logger, overrides: Overrides = .init(),
        _ body: (Platform) async throws -> R
    ) async throws -> R {
        let platform = try await build(configuration, logger: logger, overrides: overrides)
        let group = ServiceGroup(configuration: .init(services: platform.services, logger: logger))
        return try await withBackground({ try await platform.run(group) }, stop: { await group.triggerGracefulShutdown() }) {
            try await body(platform)
        }
    }
}

/// The NATS connections of one platform, one per distinct URL (that is, per NATS user).
private struct NATSUsers {
    let configuration: PlatformConfiguration
    let logger: Logger
    private var byURL: [String: NATSConnection] = [:]
    /// In connection order, so the services start and stop in a fixed order.
    private(set) var connections: [NATSConnection] = []

    init(configuration: PlatformConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Connects as the user of `url` (nil: `natsURL`) unless already connected as it.
    mutating func connect(_ url: String?, role: String) async throws {
        let url = url ?? configuration.natsURL
        guard byURL[url] == nil else { return }
        let name = url == configuration.natsURL ? configuration.natsClientName : "\(configuration.natsClientName)-\(role)"
        let connection = try await NATSConnection.connect(url: url, name: name, logger: logger)
        byURL[url] = connection
        connections.append(connection)
    }

    func connection(for url: String?) throws -> NATSConnection {
        guard let connection = byURL[url ?? configuration.natsURL] else {
            throw PlatformError(code: .notStarted, message: "no NATS connection was made for this part")
        }
        return connection
    }

    func primary(relayRuns: Bool) -> NATSConnection? {
        if relayRuns, let relay = try? connection(for: configuration.relayNATSURL) { return relay }
        return connections.first
    }

    func closeAll() async {
        for connection in connections { await connection.close() }
    }
}

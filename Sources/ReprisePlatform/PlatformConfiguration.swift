import Foundation
import Postgres
import RepriseAPI
import RepriseDomain
import RepriseMigrations
import RepriseProjections
import RepriseRelay
import RepriseScores
import RepriseSettings

/// The parts of the platform a process can run; `reprise serve --components` picks them.
public enum PlatformComponent: String, CaseIterable, Sendable {
    case api, relay, ticker, projectors

    /// Parses `api,relay`: a one-line error names an unknown part.
    public static func parse(_ list: String) throws(PlatformError) -> Set<PlatformComponent> {
        var selected = Set<PlatformComponent>()
        for name in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let component = PlatformComponent(rawValue: name) else {
                throw PlatformError(
                    code: .invalidConfiguration,
                    message: "unknown component '\(name)'; choose from \(allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            selected.insert(component)
        }
        guard !selected.isEmpty else { throw PlatformError(code: .invalidConfiguration, message: "no component named") }
        return selected
    }
}

/// Everything `Platform` needs to build the parts, resolved once from `Settings`.
public struct PlatformConfiguration: Sendable {
    public var components: Set<PlatformComponent>
    public var postgres: PostgresConfiguration
    public var postgresPoolSize: Int
    /// Most callers queued for a pool connection; nil: no bound.
    public var postgresPoolMaxWaiters: Int?
    /// How long a caller waits for a pool connection; nil: as long as it takes.
    public var postgresPoolWaitTimeout: Duration?
    public var natsURL: String
    /// The client name NATS shows in its monitoring.
    public var natsClientName: String
    /// The relay's own NATS URL (the `relay` user, the only one that may publish events);
    /// nil: `natsURL`.
    public var relayNATSURL: String?
    /// Each projector's own NATS URL by projection name (the `projector-<name>` user, which
    /// reads only its own consumer); a projection missing here uses `natsURL`.
    public var projectorNATSURLs: [String: String]
    public var relay: RelayConfiguration
    public var projectors: ProjectorConfiguration
    /// Which projections the projectors keep, by name; nil: every one (`Platform.projections`).
    public var projections: Set<String>?
    public var scores: ScorePublisher.Configuration
    public var api: APIConfiguration
    public var keyring: APIKeyring
    /// How long an Idempotency-Key keeps its answer (`api.idempotency-retention-seconds`).
    public var idempotencyRetention: Duration = .seconds(86_400)
    /// The migrations this build expects; the API is ready only when all are applied.
    public var migrations: [Migration]
    public var tickInterval: Duration
    /// How often the visibility horizon's age is read for `/metrics`.
    public var horizonInterval: Duration = .seconds(5)
    /// Without the API: serve `/metrics` and `/health/live` on this port.
    public var metricsPort: Int?
    /// The time commands are issued at (tests and simulations pin it).
    public var clock: @Sendable () -> Timestamp
    /// The flight slack and the booking limits commands are decided with (`campaigns.*`).
    public var bookingRules: BookingRules

    public init(
        components: Set<PlatformComponent> = Set(PlatformComponent.allCases),
        postgres: PostgresConfiguration,
        postgresPoolSize: Int = 16,
        postgresPoolMaxWaiters: Int? = nil,
        postgresPoolWaitTimeout: Duration? = nil,
        natsURL: String,
        natsClientName: String = "reprise",
        relay: RelayConfiguration = .init(),
        projectors: ProjectorConfiguration = .init(),
        scores: ScorePublisher.Configuration = .init(),
        api: APIConfiguration = .init(),
        keyring: APIKeyring = APIKeyring(keys: [:]),
        migrations: [Migration] = [],
        tickInterval: Duration = .seconds(60),
        metricsPort: Int? = nil,
        clock: @escaping @Sendable () -> Timestamp = APIServices.systemClock,
        bookingRules: BookingRules = .standard
    ) {
        self.components = components
        self.postgres = postgres
        self.postgresPoolSize = postgresPoolSize
        self.postgresPoolMaxWaiters = postgresPoolMaxWaiters
        self.postgresPoolWaitTimeout = postgresPoolWaitTimeout
        self.natsURL = natsURL
        self.natsClientName = natsClientName
        self.relayNATSURL = nil
        self.projectorNATSURLs = [:]
        self.relay = relay
        self.projectors = projectors
        self.projections = nil
        self.scores = scores
        self.api = api
        self.keyring = keyring
        self.migrations = migrations
        self.tickInterval = tickInterval
        self.metricsPort = metricsPort
        self.clock = clock
        self.bookingRules = bookingRules
    }

    /// Flag values as the command line gave them; nil falls back to the environment, then
    /// to the default (`SettingsResolver`).
    public struct Flags: Sendable {
        public var postgresURL: String?
        public var postgresPoolSize: String?
        public var natsURL: String?
        public var httpHost: String?
        public var httpPort: String?
        public var apiKeysFile: String?
        public var migrationsDirectory: String?

        public init(
            postgresURL: String? = nil, postgresPoolSize: String? = nil, natsURL: String? = nil, httpHost: String? = nil,
            httpPort: String? = nil, apiKeysFile: String? = nil, migrationsDirectory: String? = nil
        ) {
            self.postgresURL = postgresURL
            self.postgresPoolSize = postgresPoolSize
            self.natsURL = natsURL
            self.httpHost = httpHost
            self.httpPort = httpPort
            self.apiKeysFile = apiKeysFile
            self.migrationsDirectory = migrationsDirectory
        }
    }

    /// The configuration `Settings` describe. The API keys file and the migrations are read
    /// only when the API is among `components`, since only the API uses them.
    public static func resolve(
        _ resolver: SettingsResolver, flags: Flags, components: Set<PlatformComponent>
    ) throws -> PlatformConfiguration {
        let stream = resolver.resolve(Settings.eventsStream, flag: nil).value
        let prefix = resolver.resolve(Settings.eventsSubjectPrefix, flag: nil).value
        let statementTimeout = try resolver.integer(Settings.postgresStatementTimeout, flag: nil, in: 0...86_400_000)
        var configuration = PlatformConfiguration(
            components: components,
            postgres: PostgresConfiguration(
                url: resolver.resolve(Settings.postgresURL, flag: flags.postgresURL).value,
                statementTimeout: statementTimeout == 0 ? nil : .milliseconds(statementTimeout)
            ),
            postgresPoolSize: try resolver.integer(Settings.postgresPoolSize, flag: flags.postgresPoolSize, in: 1...1_000),
            postgresPoolMaxWaiters: try resolver.integer(Settings.postgresPoolMaxWaiters, flag: nil, in: 0...1_000_000),
            postgresPoolWaitTimeout: .milliseconds(try resolver.integer(Settings.postgresPoolWaitTimeout, flag: nil, in: 1...3_600_000)),
            natsURL: resolver.resolve(Settings.natsURL, flag: flags.natsURL).value,
            relay: RelayConfiguration(streamName: stream, subjectPrefix: prefix),
            projectors: ProjectorConfiguration(streamName: stream, subjectPrefix: prefix),
            scores: ScorePublisher.Configuration(
                bucket: resolver.resolve(Settings.scoresBucket, flag: nil).value,
                subjectPrefix: resolver.resolve(Settings.scoresSubjectPrefix, flag: nil).value
            ),
            api: APIConfiguration(
                host: resolver.resolve(Settings.httpHost, flag: flags.httpHost).value,
                port: try resolver.integer(Settings.httpPort, flag: flags.httpPort, in: 0...65_535),
                idleTimeout: .seconds(try resolver.integer(Settings.httpIdleTimeout, flag: nil, in: 1...86_400))
            ),
            bookingRules: BookingRules(
                flightStartSlackSeconds: try resolver.integer(Settings.flightStartSlackSeconds, flag: nil, in: 0...86_400),
                maxSubcampaignsPerCampaign: try resolver.integer(Settings.maxSubcampaignsPerCampaign, flag: nil, in: 1...1_000),
                maxTargetingCellsPerSubcampaign: try resolver.integer(Settings.maxTargetingCellsPerSubcampaign, flag: nil, in: 1...10_000),
                maxOpenCampaignsPerOwner: try resolver.integer(Settings.maxOpenCampaignsPerOwner, flag: nil, in: 1...1_000_000)
            )
        )
        let relayURL = resolver.resolve(Settings.natsRelayURL, flag: nil).value
        configuration.relayNATSURL = relayURL.isEmpty ? nil : relayURL
        for (projection, setting) in Settings.natsProjectorURLs {
            let url = resolver.resolve(setting, flag: nil).value
            if !url.isEmpty { configuration.projectorNATSURLs[projection] = url }
        }
        if components.contains(.api) {
            configuration.idempotencyRetention = .seconds(
                try resolver.integer(Settings.idempotencyRetention, flag: nil, in: 60...31_536_000)
            )
            let keysFile = resolver.resolve(Settings.apiKeysFile, flag: flags.apiKeysFile).value
            do {
                configuration.keyring = try APIKeyring(parsing: try String(contentsOfFile: keysFile, encoding: .utf8))
            } catch {
                throw PlatformError(code: .invalidConfiguration, message: "cannot read API keys from \(keysFile): \(error)")
            }
            configuration.migrations = try Migration.load(
                from: resolver.resolve(Settings.migrationsDirectory, flag: flags.migrationsDirectory).value
            )
        }
        return configuration
    }
}

/// Why the platform could not be configured or built.
public struct PlatformError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        public let rawValue: String
        public static let invalidConfiguration = Code(rawValue: "invalid_configuration")
        public static let notStarted = Code(rawValue: "not_started")
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

// swift-tools-version: 6.2
import PackageDescription

// Our own code builds without warnings: a new one fails the build (SE-0443). Set per target,
// so dependencies' warnings stay warnings.
let warningsAreErrors: [SwiftSetting] = [.treatAllWarnings(as: .error)]

// Every target outside the two C wrappers builds with strict memory safety:
// that setting is what keeps unsafe pointers inside `Postgres` and `NATS`.
let safe: [SwiftSetting] = [.strictMemorySafety()] + warningsAreErrors

let package = Package(
    name: "Reprise",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "reprise", targets: ["reprise"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Tests only: the contract tests read schemas/openapi.yaml.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // C libraries, through pkg-config. Nothing but a module map and a shim header.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CNATS", pkgConfig: "libnats", providers: [.apt(["libnats-dev"])]),

        // The two thin wrappers: the only modules allowed to hold unsafe pointers.
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: warningsAreErrors
        ),
        .target(
            name: "NATS",
            dependencies: [
                "CNATS", "RepriseSettings",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: warningsAreErrors
        ),

        // The pure campaign domain: decide and evolve, events, codec. No I/O, no dependencies.
        .target(
            name: "RepriseDomain",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: safe
        ),

        // The pure core of the promotion-score projection: state, formula, published scores.
        .target(name: "RepriseScoring", dependencies: ["RepriseDomain", "RepriseEventLog", "RepriseProjectionCore"], swiftSettings: safe),

        // Ports: the event log as the rest of Reprise sees it.
        .target(
            name: "RepriseEventLog",
            dependencies: ["RepriseDomain", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: safe
        ),

        // The projection contract: a read model as a pure fold over the log, and the batch fold
        // every runtime shares. No I/O of its own.
        .target(name: "RepriseProjectionCore", dependencies: ["RepriseEventLog"], swiftSettings: safe),

        // A seeded, realistic campaign log for benchmarks and property tests (and, later, the simulator).
        .target(name: "RepriseWorkload", dependencies: ["RepriseDomain", "RepriseEventLog"], swiftSettings: safe),
        .target(name: "RepriseForecasting", dependencies: ["RepriseDomain"], swiftSettings: safe),
        .target(name: "RepriseSimulation", dependencies: ["RepriseDomain"], swiftSettings: safe),

        // Operator-facing pieces.
        .target(name: "RepriseSettings", swiftSettings: safe),
        .target(
            name: "RepriseMigrations",
            dependencies: [
                "Postgres", "RepriseDomain",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: safe
        ),
        .target(
            name: "RepriseEventStore",
            dependencies: ["RepriseDomain", "RepriseEventLog", "Postgres", .product(name: "Logging", package: "swift-log")],
            swiftSettings: safe
        ),
        // Long-running loops: restart with backoff. No servers, no dependencies.
        .target(name: "RepriseRuntime", swiftSettings: safe),
        // The relay: the log in Postgres, published in order to JetStream.
        .target(
            name: "RepriseRelay",
            dependencies: [
                "RepriseEventLog", "RepriseEventStore", "RepriseRuntime", "Postgres", "NATS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: safe
        ),
        // The projector runtime: durable consumers, checkpoints, dead letters, rebuilds.
        .target(
            name: "RepriseProjections",
            dependencies: [
                "RepriseProjectionCore", "RepriseDomain", "RepriseEventLog", "RepriseEventStore", "RepriseRuntime", "Postgres", "NATS",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: safe
        ),
        // The promotion scores projection, and its publication to NATS.
        .target(
            name: "RepriseScores",
            dependencies: [
                "RepriseProjections", "RepriseProjectionCore", "RepriseScoring", "RepriseDomain", "Postgres", "NATS",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: safe
        ),
        .target(
            name: "RepriseCampaigns",
            dependencies: [
                "RepriseDomain", "RepriseEventLog", "RepriseProjectionCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: safe
        ),
        // Reads of projection tables behind the application's ports (the campaign list).
        .target(
            name: "RepriseReadModels",
            dependencies: ["RepriseCampaigns", "RepriseDomain", "RepriseProjectionCore", "RepriseProjections", "Postgres"],
            swiftSettings: safe
        ),
        // The HTTP command API: routes, request decoding, problem details, API keys.
        .target(
            name: "RepriseAPI",
            dependencies: [
                "RepriseDomain", "RepriseEventLog", "RepriseCampaigns", "RepriseScoring",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: safe
        ),
        // The composition root: builds every part from the settings and hands back the services.
        .target(
            name: "ReprisePlatform",
            dependencies: [
                "RepriseRuntime",
                "Postgres", "NATS", "RepriseDomain", "RepriseEventLog", "RepriseEventStore", "RepriseMigrations",
                "RepriseCampaigns", "RepriseAPI", "RepriseRelay", "RepriseProjectionCore", "RepriseProjections", "RepriseScores",
                "RepriseScoring", "RepriseReadModels", "RepriseSettings",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: safe
        ),
        .target(
            name: "RepriseBench",
            dependencies: [
                "RepriseRuntime",
                "Postgres", "NATS", "RepriseEventLog", "RepriseEventStore", "RepriseMigrations",
                "RepriseDomain", "RepriseRelay", "RepriseProjections", "RepriseScores", "RepriseScoring",
                .product(name: "Prometheus", package: "swift-prometheus"),
                "RepriseCampaigns", "RepriseAPI", "ReprisePlatform", "RepriseProjectionCore", "RepriseWorkload",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: safe
        ),
        .target(
            name: "RepriseCLI",
            dependencies: [
                "RepriseProjectionCore",
                "Postgres", "NATS", "RepriseSettings", "RepriseMigrations", "RepriseBench",
                "RepriseDomain", "RepriseEventLog", "RepriseEventStore", "RepriseCampaigns", "RepriseAPI",
                "RepriseRelay", "RepriseProjections", "RepriseScores", "RepriseScoring", "ReprisePlatform", "RepriseForecasting",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: safe
        ),
        .executableTarget(name: "reprise", dependencies: ["RepriseCLI"], swiftSettings: safe),

        // Tests. Integration tests talk to the servers that ops/test.sh starts.
        .target(
            name: "RepriseTestSupport",
            dependencies: [
                "RepriseRuntime",
                "RepriseWorkload",
                "Postgres", "NATS", "RepriseMigrations", "RepriseDomain", "RepriseEventLog", "RepriseEventStore", "RepriseRelay",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Tests/RepriseTestSupport",
            swiftSettings: safe
        ),
        .testTarget(
            name: "PostgresTests",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                "Postgres", "RepriseTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: safe
        ),
        .testTarget(
            name: "NATSTests",
            dependencies: ["NATS", "RepriseTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: safe
        ),
        .testTarget(
            name: "RepriseDomainTests",
            dependencies: ["RepriseDomain", "RepriseTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: safe
        ),
        .testTarget(
            name: "RepriseEventStoreTests",
            dependencies: [
                "RepriseEventStore", "RepriseEventLog", "Postgres", "RepriseTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: safe
        ),
        .testTarget(
            name: "RepriseCampaignsTests",
            dependencies: [
                "RepriseCampaigns", "RepriseDomain", "RepriseEventLog", "RepriseTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: safe
        ),
        .testTarget(
            name: "RepriseCLITests",
            dependencies: [
                "RepriseCampaigns", "RepriseDomain", "RepriseEventStore", "RepriseTestSupport", "NATS", "RepriseBench", "Postgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: safe
        ),
        .testTarget(
            name: "RepriseScoringTests",
            dependencies: ["RepriseScoring", "RepriseDomain", "RepriseTestSupport"],
            swiftSettings: safe
        ),
        .testTarget(name: "RepriseEventLogTests", dependencies: ["RepriseEventLog", "RepriseTestSupport"], swiftSettings: safe),
        .testTarget(
            name: "RepriseAPITests",
            dependencies: [
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                "RepriseAPI", "RepriseScoring", "RepriseCampaigns", "RepriseDomain", "RepriseEventLog", "RepriseEventStore",
                "RepriseMigrations", "ReprisePlatform", "RepriseProjections", "RepriseRelay", "RepriseTestSupport", "Postgres", "NATS", .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: safe
        ),
        .testTarget(
            name: "RepriseRelayTests",
            dependencies: [
                "RepriseRelay", "RepriseDomain", "RepriseEventLog", "RepriseEventStore", "Postgres", "NATS", "RepriseTestSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
                ],
            swiftSettings: safe
        ),
        .testTarget(
            name: "RepriseProjectionsTests",
            dependencies: [
                "RepriseProjectionCore", "RepriseProjections", "RepriseEventLog", "RepriseEventStore", "Postgres", "NATS", "RepriseTestSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: safe
        ),
        .testTarget(
            name: "RepriseScoresTests",
            dependencies: [
                "RepriseScores", "RepriseScoring", "RepriseProjections", "RepriseCampaigns", "RepriseDomain", "RepriseEventStore",
                "NATS", "Postgres", "RepriseTestSupport", "ReprisePlatform", "RepriseRelay", "RepriseSettings",
                .product(name: "Prometheus", package: "swift-prometheus"), .product(name: "Logging", package: "swift-log"),
            ],
            // Clients/: scripts of stock NATS clients the tests run (nats-py as personalization).
            exclude: ["Clients"],
            swiftSettings: safe
        ),
        // Crashes and server restarts under load; they restart servers, so they run only with
        // REPRISE_FAULT_TESTS=1 (ops/test.sh's second phase), against a private server pair.
        .testTarget(
            name: "RepriseFaultTests",
            dependencies: [
                "ReprisePlatform", "RepriseScores", "RepriseScoring", "RepriseProjections", "RepriseCampaigns", "RepriseRelay",
                "RepriseDomain", "RepriseEventStore", "RepriseEventLog", "RepriseRuntime", "NATS", "Postgres", "RepriseTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: safe
        ),
        .testTarget(name: "RepriseRuntimeTests", dependencies: ["RepriseRuntime"], swiftSettings: safe),
        .testTarget(name: "RepriseForecastingTests", dependencies: ["RepriseForecasting", "RepriseDomain"], swiftSettings: safe),
        .testTarget(
            name: "RepriseSimulationTests", dependencies: ["RepriseSimulation", "RepriseForecasting", "RepriseDomain"], swiftSettings: safe
        ),
        .testTarget(
            name: "RepriseProjectionCoreTests",
            dependencies: ["RepriseProjectionCore", "RepriseScoring", "RepriseCampaigns", "RepriseDomain", "RepriseWorkload", "RepriseEventLog", "RepriseTestSupport"],
            swiftSettings: safe
        ),
        .testTarget(name: "RepriseSettingsTests", dependencies: ["RepriseSettings"], swiftSettings: safe),
        .testTarget(
            name: "RepriseMigrationsTests",
            dependencies: ["RepriseMigrations", "Postgres", "RepriseTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: safe
        ),
    ]
)

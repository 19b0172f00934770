import ArgumentParser
import Foundation
import RepriseBench
import RepriseSettings

/// `reprise bench …`: measured figures, printed as a table or as JSON.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed on this machine; prints a table, or JSON with --json.",
        subcommands: [BenchDriversCommand.self, BenchStoreCommand.self, BenchAPICommand.self, BenchPipelineCommand.self, BenchRebuildCommand.self]
    )
}

/// Options every benchmark takes.
struct BenchOptions: ParsableArguments {
    @Flag(help: "Print the figures as JSON instead of a table.")
    var json = false

    @Option(help: "Multiply every operation count by this (e.g. 0.1 for a quick run).")
    var scale: Double = 1

    func validate() throws {
        guard scale > 0, scale <= 100 else { throw ValidationError("--scale must be above 0 and at most 100") }
    }

    func print(_ report: BenchReport) throws {
        Swift.print(json ? try report.json() : report.table())
    }
}

struct BenchDriversCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drivers",
        abstract: "Raw PostgreSQL and JetStream rates through the two C drivers: the baselines of every other benchmark."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var bench: BenchOptions

    func run() async throws {
        let options = try common.resolve()
        let benchmarks = DriverBenchmarks(
            options: .init(postgresURL: options.postgresURL.value, natsURL: options.natsURL.value, scale: bench.scale),
            logger: options.makeLogger(label: "reprise.bench")
        )
        try bench.print(BenchReport(benchmark: "drivers", results: try await benchmarks.run()))
    }
}

struct BenchStoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Event store appends (1, 16, 64 writers; 100-event batches) and whole-log reads, beside the raw driver rates."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var bench: BenchOptions

    @Option(name: .customLong("migrations-dir"), help: "Folder of NNNN_name.sql files [env: REPRISE_MIGRATIONS_DIR]")
    var migrationsDirectory: String?

    func run() async throws {
        let options = try common.resolve()
        let directory = SettingsResolver(environment: ProcessInfo.processInfo.environment)
            .resolve(Settings.migrationsDirectory, flag: migrationsDirectory).value
        let benchmarks = StoreBenchmarks(
            options: .init(postgresURL: options.postgresURL.value, migrationsDirectory: directory, scale: bench.scale),
            logger: options.makeLogger(label: "reprise.bench")
        )
        try bench.print(BenchReport(benchmark: "store", results: try await benchmarks.run()))
    }
}

struct BenchAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "The HTTP command API in this process over keep-alive connections: mixed and single-event commands, "
            + "the GET /health/live floor and the store's single-event appends, at each concurrency."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var bench: BenchOptions

    @Option(name: .customLong("migrations-dir"), help: "Folder of NNNN_name.sql files [env: REPRISE_MIGRATIONS_DIR]")
    var migrationsDirectory: String?

    @Option(help: "Seconds each figure runs (times --scale).")
    var seconds: Double = 3

    @Option(help: "Comma-separated connection counts; each gets its own round of figures.")
    var connections: String = "16,64"

    @Option(name: .customLong("pool-size"), help: "The server's PostgreSQL connections.")
    var poolSize: Int = 16

    @Flag(inversion: .prefixedNo, help: "Send an Idempotency-Key with every command.")
    var idempotencyKeys = true

    func validate() throws {
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be above 0 and at most 600") }
        guard !connectionCounts.isEmpty else { throw ValidationError("--connections must list whole numbers from 1 to 1024, e.g. 16,64") }
        guard (1...1_000).contains(poolSize) else { throw ValidationError("--pool-size must be from 1 to 1000") }
    }

    private var connectionCounts: [Int] {
        let counts = connections.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard counts.allSatisfy({ $0.map { (1...1_024).contains($0) } ?? false }) else { return [] }
        return counts.compactMap { $0 }
    }

    func run() async throws {
        let options = try common.resolve()
        let directory = SettingsResolver(environment: ProcessInfo.processInfo.environment)
            .resolve(Settings.migrationsDirectory, flag: migrationsDirectory).value
        let benchmarks = APIBenchmarks(
            options: .init(
                postgresURL: options.postgresURL.value, migrationsDirectory: directory, secondsPerFigure: seconds * bench.scale,
                concurrencies: connectionCounts, poolSize: poolSize, idempotencyKeys: idempotencyKeys
            ),
            logger: options.makeLogger(label: "reprise.bench")
        )
        try bench.print(BenchReport(benchmark: "api", results: try await benchmarks.run()))
    }
}

struct BenchRebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Every projection rebuilt from a synthetic log (1M events by default): rate beside the raw keyset read, and peak memory."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var bench: BenchOptions

    @Option(help: "Events in the synthetic log (times --scale).")
    var events = 1_000_000

    @Option(name: .customLong("migrations-dir"), help: "Folder of NNNN_name.sql files [env: REPRISE_MIGRATIONS_DIR]")
    var migrationsDirectory: String?

    func run() async throws {
        let options = try common.resolve()
        let resolver = SettingsResolver(environment: ProcessInfo.processInfo.environment)
        let benchmarks = RebuildBenchmarks(
            options: .init(
                postgresURL: options.postgresURL.value, natsURL: options.natsURL.value,
                migrationsDirectory: resolver.resolve(Settings.migrationsDirectory, flag: migrationsDirectory).value,
                events: max(1, Int(Double(events) * bench.scale)),
                residentRows: try resolver.integer(Settings.rebuildResidentRows, flag: nil, in: 1_000...100_000_000)
            ),
            logger: options.makeLogger(label: "reprise.bench")
        )
        try bench.print(BenchReport(benchmark: "rebuild", results: try await benchmarks.run()))
    }
}

struct BenchPipelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: """
            Relay throughput and projection rebuild speed, beside raw JetStream publish and Postgres keyset reads; \
            latency from an accepted delivery report to its score in the bucket.
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var bench: BenchOptions

    @Option(name: .customLong("e2e-rates"), help: "Delivery reports per second for the end-to-end latency, one figure each")
    var endToEndRates = "500,1000"

    @Option(help: "Which figures to run, comma-separated: relay, rebuild, live, e2e (default: all)")
    var only = PipelineBenchmarks.Options.Part.allCases.map(\.rawValue).joined(separator: ",")

    @Option(name: .customLong("migrations-dir"), help: "Folder of NNNN_name.sql files [env: REPRISE_MIGRATIONS_DIR]")
    var migrationsDirectory: String?

    func run() async throws {
        let options = try common.resolve()
        let directory = SettingsResolver(environment: ProcessInfo.processInfo.environment)
            .resolve(Settings.migrationsDirectory, flag: migrationsDirectory).value
        let rates = endToEndRates.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !rates.isEmpty, rates.allSatisfy({ $0 > 0 }) else { throw CLIFailure("--e2e-rates must list positive rates, such as 500,1000") }
        var parts = Set<PipelineBenchmarks.Options.Part>()
        for name in only.split(separator: ",") {
            guard let part = PipelineBenchmarks.Options.Part(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw CLIFailure("--only takes relay, rebuild, live and e2e, not '\(name)'")
            }
            parts.insert(part)
        }
        let benchmarks = PipelineBenchmarks(
            options: .init(
                postgresURL: options.postgresURL.value, natsURL: options.natsURL.value, migrationsDirectory: directory,
                scale: bench.scale, endToEndRates: rates, parts: parts
            ),
            logger: options.makeLogger(label: "reprise.bench")
        )
        try bench.print(BenchReport(benchmark: "pipeline", results: try await benchmarks.run()))
    }
}

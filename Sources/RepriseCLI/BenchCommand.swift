import ArgumentParser
import Foundation
import RepriseBench
import RepriseSettings

/// `reprise bench …`: measured figures, printed as a table or as JSON.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed on this machine; prints a table, or JSON with --json.",
        subcommands: [BenchDriversCommand.self, BenchStoreCommand.self, BenchPipelineCommand.self]
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

struct BenchPipelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Relay throughput and projection rebuild speed, beside raw JetStream publish and Postgres keyset reads."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var bench: BenchOptions

    @Option(name: .customLong("migrations-dir"), help: "Folder of NNNN_name.sql files [env: REPRISE_MIGRATIONS_DIR]")
    var migrationsDirectory: String?

    func run() async throws {
        let options = try common.resolve()
        let directory = SettingsResolver(environment: ProcessInfo.processInfo.environment)
            .resolve(Settings.migrationsDirectory, flag: migrationsDirectory).value
        let benchmarks = PipelineBenchmarks(
            options: .init(
                postgresURL: options.postgresURL.value, natsURL: options.natsURL.value, migrationsDirectory: directory,
                scale: bench.scale
            ),
            logger: options.makeLogger(label: "reprise.bench")
        )
        try bench.print(BenchReport(benchmark: "pipeline", results: try await benchmarks.run()))
    }
}

import ArgumentParser
import Foundation
import Logging
import Postgres
import ReprisePlatform
import RepriseSettings
import RepriseProjectionCore
import RepriseProjections

/// `reprise projection rebuild|verify <name>`: blue/green rebuilds and digest checks.
struct ProjectionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projection",
        abstract: "Rebuild or verify a projection from the log.",
        subcommands: [ProjectionRebuildCommand.self, ProjectionVerifyCommand.self]
    )

    /// The projections this build knows, by name.
    static var names: [String] { Platform.projections.map(\.name) }

    /// Runs `body` on a rebuilder of the projection called `name`. Rebuilt models equal
    /// the live ones, and the live projector publishes what changes, so nothing publishes here.
    static func withRebuilder<R: Sendable>(
        _ name: String, options: ResolvedOptions, logger: Logger, showProgress: Bool = false,
        _ body: (any ProjectionRebuilding) async throws -> R
    ) async throws -> R {
        let residentRows = try SettingsResolver(environment: ProcessInfo.processInfo.environment)
            .integer(Settings.rebuildResidentRows, flag: nil, in: 1_000...100_000_000)
        let line = showProgress ? ProgressLine(label: "rebuild \(name)") : nil
        var progress: (@Sendable (RebuildProgress) -> Void)?
        if let line { progress = { @Sendable in line.show($0) } }
        guard let projection = Platform.projections.first(where: { $0.name == name }) else {
            throw CLIFailure("no projection named '\(name)'; known: \(names.joined(separator: ", "))")
        }
        return try await PostgresConnectionPool.withPool(
            configuration: PostgresConfiguration(url: options.postgresURL.value), maxConnections: 4, logger: logger
        ) { pool in
            let result = try await body(rebuilder(
                of: projection, pool: pool, residentRows: residentRows, progress: progress, logger: logger
            ))
            line?.finish()
            return result
        }
    }

    private static func rebuilder(
        of projection: some Projection, pool: PostgresConnectionPool, residentRows: Int,
        progress: (@Sendable (RebuildProgress) -> Void)?, logger: Logger
    ) -> any ProjectionRebuilding {
        ProjectionRebuilder(projection: projection, pool: pool, maxResidentRows: residentRows, progress: progress, logger: logger)
    }
}

struct ProjectionRebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Build a new generation of the read model from the log, then swap it in atomically."
    )

    @OptionGroup var common: CommonOptions
    @Argument(help: "The projection's name, such as scores.") var name: String

    func run() async throws {
        let options = try common.resolve()
        let logger = options.makeLogger(label: "reprise.projection")
        let started = ContinuousClock.now
        let report = try await ProjectionCommand.withRebuilder(name, options: options, logger: logger, showProgress: true) {
            try await $0.rebuild()
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        print("""
            rebuilt \(name): generation \(report.previousGeneration) → \(report.generation), \
            \(report.eventsApplied) events to sequence \(report.checkpoint) in \(String(format: "%.2f", seconds)) s \
            (\(Int(Double(report.eventsApplied) / max(seconds, 0.000_001))) events/s), \(report.deadLetters) dead letters
            """)
    }
}

struct ProjectionVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Rebuild into a shadow copy and compare it with the live model; exit 1 on any difference."
    )

    @OptionGroup var common: CommonOptions
    @Argument(help: "The projection's name, such as scores.") var name: String

    func run() async throws {
        let options = try common.resolve()
        let logger = options.makeLogger(label: "reprise.projection")
        let report = try await ProjectionCommand.withRebuilder(name, options: options, logger: logger) { try await $0.verify() }
        for table in report.tables {
            print("\(table.matches ? "ok  " : "DIFF") \(table.table): \(table.rows) rows, live \(table.live.prefix(16)), rebuilt \(table.rebuilt.prefix(16))")
        }
        if let difference = report.firstDifference {
            throw CLIFailure(
                "\(name) differs from its rebuild at sequence \(report.checkpoint): first in \(difference.table): "
                    + "live \(difference.live ?? "(no row)") vs rebuilt \(difference.rebuilt ?? "(no row)")"
            )
        }
        print("\(name) equals its rebuild from the log at sequence \(report.checkpoint)")
    }
}

import ArgumentParser
import Foundation
import Logging
import NATS
import Postgres
import RepriseProjections
import RepriseRelay
import RepriseSettings

/// `reprise stream check|rebuild`: the operator's view of the event stream against the log,
/// and its rebuild from Postgres when they disagree (README, "When the fan-out halts").
struct StreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Check the JetStream event stream against the log, or rebuild it from PostgreSQL.",
        subcommands: [StreamCheckCommand.self, StreamRebuildCommand.self]
    )

    /// Runs `body` with a pool, the NATS connection and the repair tool for the configured stream.
    static func withRepair<R: Sendable>(
        _ common: CommonOptions, label: String,
        _ body: (EventStreamRepair, PostgresConnectionPool, Logger) async throws -> R
    ) async throws -> R {
        let options = try common.resolve()
        let logger = options.makeLogger(label: label)
        let fanout = try FanoutSettings(resolver: SettingsResolver(environment: ProcessInfo.processInfo.environment))
        return try await PostgresConnectionPool.withPool(
            configuration: PostgresConfiguration(url: options.postgresURL.value), maxConnections: 2, logger: logger
        ) { pool in
            try await NATSConnection.withConnection(url: options.natsURL.value, name: label, logger: logger) { nats in
                try await body(EventStreamRepair(jetStream: try nats.jetStream(), configuration: fanout.relay), pool, logger)
            }
        }
    }

    static func describe(_ check: EventStreamRepair.Check, stream: String) -> String {
        let tail = check.streamTail.map { "ends at \($0)" } ?? "does not exist"
        var lines = ["stream \(stream) \(tail); PostgreSQL has numbered \(check.numbered) events"]
        if let contradiction = check.contradiction {
            lines.append("the stream contradicts the log (\(contradiction.code)): \(contradiction.message)")
        } else {
            lines.append("the stream agrees with the log")
        }
        if let status = check.status {
            lines.append("the relay last recorded: \(status.state.rawValue)\(status.code.map { " (\($0))" } ?? "")")
        }
        return lines.joined(separator: "\n")
    }
}

struct StreamCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compare the stream's tail with the log, as the relay does; exit 1 when they disagree."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let stream = try FanoutSettings(resolver: SettingsResolver(environment: ProcessInfo.processInfo.environment)).relay.streamName
        let check = try await StreamCommand.withRepair(common, label: "reprise-stream-check") { repair, pool, _ in
            try await repair.check(on: pool)
        }
        print(StreamCommand.describe(check, stream: stream))
        if !check.agrees { throw ExitCode(1) }
    }
}

struct StreamRebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Delete the event stream and create it empty, then wait while the relay refills it from PostgreSQL.",
        discussion: """
            PostgreSQL holds the log, so nothing is lost: the relay publishes it again, event N \
            as message N, and each projector resumes after its own checkpoint. Refuses a stream \
            that agrees with the log unless --force is given.
            """
    )

    @OptionGroup var common: CommonOptions
    @Flag(help: "Rebuild even when the stream agrees with the log.") var force = false
    @Option(help: "Seconds to wait for the relay to refill the stream (0: do not wait).") var waitSeconds = 600

    func run() async throws {
        let stream = try FanoutSettings(resolver: SettingsResolver(environment: ProcessInfo.processInfo.environment)).relay.streamName
        try await StreamCommand.withRepair(common, label: "reprise-stream-rebuild") { repair, pool, logger in
            let check = try await repair.check(on: pool)
            print(StreamCommand.describe(check, stream: stream))
            guard !check.agrees || force else {
                throw CLIFailure("the stream agrees with the log; nothing to rebuild (use --force to rebuild anyway)")
            }
            try await repair.rebuild()
            logger.notice("Rebuilt the event stream empty; the relay refills it", metadata: ["stream": "\(stream)"])
            print("stream \(stream) deleted and created empty; the relay refills it from PostgreSQL")
            guard waitSeconds > 0 else { return }
            let target = check.numbered
            let line = ProgressLine(label: "refill \(stream)")
            let clock = ContinuousClock()
            let started = clock.now
            var tail: UInt64 = 0
            while tail < target {
                guard clock.now - started < .seconds(waitSeconds) else {
                    line.finish()
                    throw CLIFailure("the stream holds \(tail) of \(target) events after \(waitSeconds) s; is a relay running?")
                }
                try await Task.sleep(for: .milliseconds(500))
                tail = try await repair.streamTail()
                line.show(RebuildProgress(done: tail, total: target, elapsed: clock.now - started))
            }
            line.finish()
            print("stream \(stream) holds the log again: \(tail) events")
        }
    }
}

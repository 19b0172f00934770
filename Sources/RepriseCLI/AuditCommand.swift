import ArgumentParser
import Foundation
import Logging
import Postgres
import RepriseCampaigns
import RepriseDomain
import RepriseEventLog
import RepriseEventStore

/// `reprise audit …`: what auditors run against the log.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify the log's hash chains, print a campaign's history, or show a campaign as of a moment.",
        subcommands: [AuditVerifyCommand.self, AuditHistoryCommand.self, AuditStateCommand.self]
    )
}

struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute every event's hash and check every stream's chain; exits 1 naming the first event that does not verify."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let options = try common.resolve()
        let logger = options.makeLogger(label: "reprise.audit")
        let (report, numbering) = try await EventStoreRuntime.with(options, logger: logger) { store in
            (try await ChainVerifier(store: store).verify(), try await EventSequence.audit(on: store.executor))
        }
        if let failure = report.firstFailure {
            print("FAILED after \(report.eventsChecked) event(s): \(failure)")
            throw ExitCode.failure
        }
        if let problem = numbering.problems.first {
            print("FAILED: the global sequence: \(problem)")
            throw ExitCode.failure
        }
        print("ok: \(report.eventsChecked) event(s) in \(report.streamsChecked) stream(s); every hash chain verifies")
        print("ok: \(numbering.numbered) event(s) numbered 1…\(numbering.numbered) in the log's order, no gaps")
    }
}

struct AuditHistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Print a campaign's events, oldest first."
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "The campaign id.")
    var campaign: String

    @Flag(help: "Print the events as JSON envelopes (schemas/events/envelope.v1.json).")
    var json = false

    func run() async throws {
        let options = try common.resolve()
        let campaignID = try CampaignID(campaign)
        let history = try await EventStoreRuntime.with(options, logger: options.makeLogger(label: "reprise.audit")) { store in
            try await CampaignAudit(store: store).history(of: campaignID)
        }
        guard !history.isEmpty else { throw CLIFailure("campaign \(campaign) has no events") }
        if json {
            print(try JSONOutput.render(.array(history.map { EventEnvelope.json($0.recorded) })))
            return
        }
        print("campaign \(campaign): \(history.count) event(s)")
        for entry in history {
            let event = entry.recorded
            let time = (try? Timestamp(microsecondsSinceEpoch: event.recordedAtMicroseconds).iso8601) ?? "?"
            print("  v\(event.streamVersion)  \(time)  \(event.type) (schema v\(event.schemaVersion))  by \(event.metadata.actor)")
            print("      command \(event.commandID)  correlation \(event.metadata.correlationID.lowercasedText)  log \(event.cursor)")
            print("      \(String(decoding: event.data, as: UTF8.self))")
        }
    }
}

struct AuditStateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Print a campaign exactly as it stood at a moment."
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "The campaign id.")
    var campaign: String

    @Option(
        name: .customLong("as-of"),
        help: "A time (2026-11-21T10:00:00Z), a version (v12) or a log position (881234:42); default: now."
    )
    var asOf: String?

    @Flag(help: "Print the campaign as JSON.")
    var json = false

    func validate() throws {
        if let asOf, AuditMoment(parsing: asOf) == nil {
            throw ValidationError("--as-of '\(asOf)' is neither a time (2026-11-21T10:00:00Z), a version (v12) nor a log position (881234:42)")
        }
    }

    func run() async throws {
        let options = try common.resolve()
        let campaignID = try CampaignID(campaign)
        let moment = asOf.flatMap(AuditMoment.init(parsing:)) ?? .time(.latest)
        let snapshot = try await EventStoreRuntime.with(options, logger: options.makeLogger(label: "reprise.audit")) { store in
            try await CampaignAudit(store: store).state(of: campaignID, at: moment)
        }
        guard let snapshot else {
            throw CLIFailure("campaign \(campaign) did not exist \(asOf.map { "as of \($0)" } ?? "")")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(StateOutput(version: snapshot.version, campaign: snapshot.campaign)), as: UTF8.self))
            return
        }
        let campaign = snapshot.campaign
        print("campaign \(campaign.id) at version \(snapshot.version) (last event \(snapshot.lastEvent.type), log \(snapshot.lastEvent.cursor))")
        print("  name       \(campaign.name)")
        print("  owner      \(campaign.ownerID)")
        print("  status     \(campaign.status)")
        print("  objective  \(campaign.objective)   pacing \(campaign.pacingMode)")
        print("  budget     \(campaign.budget.amountMinor) \(campaign.budget.currency) minor units, spent \(campaign.spent.amountMinor)")
        print("  flight     \(campaign.flight.start) to \(campaign.flight.end)")
        for subcampaign in campaign.subcampaigns {
            print("  subcampaign \(subcampaign.id)  \(subcampaign.status)  \(subcampaign.pricing)  markets \(subcampaign.targeting.markets.map(\.rawValue).joined(separator: ","))  surfaces \(subcampaign.targeting.surfaces.map(\.rawValue).joined(separator: ","))")
        }
    }

    private struct StateOutput: Encodable {
        let version: Int
        let campaign: Campaign
    }
}

/// A command-line failure whose message is the whole story.
struct CLIFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// JSON for people and tools alike: sorted keys, indented.
enum JSONOutput {
    static func render(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// A connection pool and the event store on it, for one-shot commands.
enum EventStoreRuntime {
    static func with<R: Sendable>(
        _ options: ResolvedOptions, logger: Logger, maxConnections: Int = 4, _ body: (PostgresEventStore) async throws -> R
    ) async throws -> R {
        try await PostgresConnectionPool.withPool(
            configuration: PostgresConfiguration(url: options.postgresURL.value), maxConnections: maxConnections, logger: logger
        ) { pool in
            try await body(PostgresEventStore(pool: pool, logger: logger))
        }
    }
}

import Foundation
import Logging
import RepriseCampaigns
import RepriseDomain
import RepriseRuntime
import RepriseTestSupport
import Synchronization

/// A steady stream of campaign commands and clock ticks through the real command handler,
/// at a fixed pace, that rides out server restarts.
///
/// Workers each own a few campaigns and send one command at a time: create, two
/// subcampaigns promoting tracks that other campaigns promote too (so the published score
/// is a best-of), activate, then delivery reports with distinct ids and growing spend,
/// with a pause and a resume now and then. A ticker moves log time a minute per tick inside
/// the flights. A command that fails as unavailable is sent again with the same command id
/// until it gets an answer, so an append that committed before its connection broke is
/// answered as a duplicate, never applied twice; only answered commands count as accepted.
final class CommandLoad: Sendable {
    struct Report: Sendable {
        /// Accepted command ids, with the number of events they appended when the answer
        /// said so (nil: a duplicate answer, or no events; the log is asked).
        var accepted: [String: Int?] = [:]
        /// Commands the domain refused: the load only sends valid ones, so this stays empty.
        var rejected: [String] = []
        /// Attempts that failed as unavailable and were sent again.
        var retries = 0
        var ticks = 0
        var commands: Int { accepted.count - ticks }
    }

    private struct State {
        var report = Report()
        var stopping = false
    }

    private let handler: CampaignCommandHandler
    private let ticker: ClockTicker
    private let workers: Int
    private let campaignsPerWorker: Int
    private let commandsPerSecond: Double
    private let ticksPerSecond: Double
    private let logger: Logger
    private let state = Mutex(State())

    /// Far enough ahead that the wall clock (which stamps `recordedAt`, part of log time)
    /// stays before it: only the ticks move log time into the flight.
    static let flight = Flight(start: "2036-12-01T00:00:00Z", end: "2036-12-31T00:00:00Z")
    /// The first tick, 2036-12-02T00:00:00Z; each further tick is a minute later.
    static let firstTick = Date(timeIntervalSince1970: 2_111_788_800)

    init(
        handler: CampaignCommandHandler, ticker: ClockTicker, workers: Int = 8, campaignsPerWorker: Int = 2,
        commandsPerSecond: Double = 140, ticksPerSecond: Double = 4, logger: Logger
    ) {
        self.handler = handler
        self.ticker = ticker
        self.workers = workers
        self.campaignsPerWorker = campaignsPerWorker
        self.commandsPerSecond = commandsPerSecond
        self.ticksPerSecond = ticksPerSecond
        self.logger = logger
    }

    var report: Report { state.withLock { $0.report } }
    var acceptedCommands: Int { state.withLock { $0.report.accepted.count } }

    /// Runs the load while `body` runs; then lets each worker finish its command in flight
    /// (retries included) and returns what was accepted.
    func running(_ body: () async throws -> Void) async throws -> Report {
        // The tracks the subcampaigns promote, held by the campaigns' owner (a no-op when
        // an earlier load of the same rig assigned them already).
        for track in 0..<3 {
            let commandID = "assign-trk-\(track)"
            try await handler.tracks.assign(
                try TrackID("trk-\(track)"), to: "label-7",
                envelope: CommandEnvelope(commandID: commandID, correlationID: UUID(), actor: "admin", issuedAt: try Timestamp(atOrBefore: Date()))
            )
            // Accepted like any command, so the checks expect its event in the log (nil: ask the log).
            state.withLock { $0.report.accepted[commandID] = .some(nil) }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask { try await self.runWorker(worker) }
            }
            group.addTask { try await self.runTicker() }
            do {
                try await body()
            } catch {
                state.withLock { $0.stopping = true }
                group.cancelAll()
                throw error
            }
            state.withLock { $0.stopping = true }
            try await group.waitForAll()
        }
        return report
    }

    /// Waits until `count` more commands than now were accepted: "keep the load going a
    /// few seconds", measured in work done rather than time.
    func waitForMore(_ count: Int) async throws {
        let target = acceptedCommands + count
        try await waitUntil("the load had \(count) more accepted commands") { acceptedCommands >= target }
    }

    private var isStopping: Bool { state.withLock { $0.stopping } }

    private func runWorker(_ worker: Int) async throws {
        let interval = Duration.seconds(Double(workers) / commandsPerSecond)
        var next = ContinuousClock.now
        var step = Array(repeating: 0, count: campaignsPerWorker)
        var turn = 0
        while !isStopping {
            let index = turn % campaignsPerWorker
            turn += 1
            let campaign = try CampaignID("cmp-w\(worker)-c\(index)")
            let command = try Self.command(step[index], campaign: campaign, index: index)
            step[index] += 1
            try await send(command)
            next += interval
            let now = ContinuousClock.now
            // Behind after an outage: carry on at the pace from now, do not burst.
            if next < now { next = now } else { try await Task.sleep(until: next) }
        }
        // Leave no campaign paused: its promotions would be gone from the model, and a load
        // whose every campaign stopped between a pause and its resume (they move in step)
        // would leave nothing for the bucket checks to compare.
        for index in 0..<campaignsPerWorker where (step[index] - 1) % 20 >= 10 && (step[index] - 1) % 20 < 12 {
            try await send(.resume(try CampaignID("cmp-w\(worker)-c\(index)")))
        }
    }

    /// Step `n` of a campaign's life.
    private static func command(_ n: Int, campaign: CampaignID, index: Int) throws -> CampaignCommand {
        switch n {
        case 0:
            return .create(CreateCampaign(
                campaignID: campaign, ownerID: "label-7", name: "Fault load \(campaign)", objective: .reach,
                budget: Money(amountMinor: 2_000_000, currency: "EUR"), flight: flight, pacingMode: .even
            ))
        case 1, 2:
            let track = "trk-\((index + n) % 3)"
            return .addSubcampaign(AddSubcampaign(campaignID: campaign, subcampaign: NewSubcampaign(
                id: try SubcampaignID("sub-\(n)"),
                targeting: Targeting(markets: n == 1 ? ["SE", "NO"] : ["SE"], surfaces: ["home"], segments: ["superfans"]),
                pricing: .cpm(450), shareBounds: .unbounded, promotedItem: .track(try TrackID(track))
            )))
        case 3:
            return .activate(campaign)
        case let n where n % 20 == 10:
            return .pause(campaign)
        case let n where n % 20 == 12:
            return .resume(campaign)
        default:
            return .reportDelivery(ReportDelivery(campaignID: campaign, report: DeliveryReport(
                reportID: try ReportID("rep-\(n)"), subcampaignID: try SubcampaignID("sub-\(n % 2 + 1)"),
                from: "2036-12-01T00:00:00Z", to: "2036-12-02T00:00:00Z",
                impressions: 1_000, reachEstimate: 800, clicks: 10, conversions: 1,
                spend: Money(amountMinor: Int64(1_000 + 100 * (n % 7)), currency: "EUR")
            )))
        }
    }

    /// Sends `command` until it is answered; records the answer.
    private func send(_ command: CampaignCommand) async throws {
        let envelope = CommandEnvelope(
            commandID: UUID().uuidString, correlationID: UUID(), actor: "label-7", issuedAt: "2026-11-21T12:00:00Z"
        )
        let outcome: CommandOutcome
        do {
            outcome = try await retrying("command", isFatal: { ($0 as? CommandError)?.code != .unavailable }) {
                try await handler.handle(command, envelope: envelope)
            }
        } catch let error as CommandError {
            logger.error("Command refused", metadata: ["command.id": "\(envelope.commandID)", "error": "\(error)"])
            state.withLock { $0.report.rejected.append("\(command.campaignID): \(error)") }
            return
        }
        let appended: Int? = outcome.isDuplicate || outcome.events.isEmpty ? nil : outcome.events.count
        state.withLock { $0.report.accepted[envelope.commandID] = .some(appended) }
    }

    private func runTicker() async throws {
        let interval = Duration.seconds(1 / ticksPerSecond)
        var minute = 0
        while !isStopping {
            let moment = Self.firstTick.addingTimeInterval(Double(minute) * 60)
            minute += 1
            try await retrying("tick") { try await ticker.tick(at: moment) }
            let id = ClockTicked(at: try Timestamp(atOrBefore: moment)).commandID
            state.withLock {
                $0.report.accepted[id] = .some(nil)
                $0.report.ticks += 1
            }
            try await Task.sleep(for: interval)
        }
    }

    /// Every 100 ms; gives up only after a minute of failures, when the server is clearly
    /// not coming back.
    private static let retryPolicy = RestartPolicy(
        initialDelay: .milliseconds(100), factor: 1, maxDelay: .milliseconds(100), maxFailures: 600
    )

    /// Runs `operation` until it succeeds, counting each failed attempt as a retry; rethrows
    /// what `isFatal` picks.
    private func retrying<Result>(
        _ what: String, isFatal: (any Error) -> Bool = { _ in false }, _ operation: () async throws -> Result
    ) async throws -> Result {
        let result: Result?
        do {
            result = try await withRestarts(policy: Self.retryPolicy, isFatal: isFatal, onFailure: { failure in
                state.withLock { $0.report.retries += 1 }
                if failure.failures == 1 { logger.notice("Load retrying", metadata: ["what": "\(what)", "error": "\(failure.error)"]) }
            }) { _ in try await operation() }
        } catch let error as RestartError {
            throw FaultTestFailure("a \(what) kept failing: \(error.lastError)")
        }
        guard let result else { throw CancellationError() }
        return result
    }
}

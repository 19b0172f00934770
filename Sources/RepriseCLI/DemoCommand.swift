import ArgumentParser
import Foundation
import Logging
import RepriseCampaigns
import RepriseDomain
import RepriseEventLog

/// Books a demo campaign through the command handler and shows what reached the log.
///
/// Until the HTTP API and the projectors exist, this is how `ops/run.sh` shows campaigns
/// flowing in: commands decided, events appended, history read back, chains verified.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Book a demo campaign, deliver against it, and print its history and the log's verification."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let options = try common.resolve()
        let logger = options.makeLogger(label: "reprise.demo")
        let suffix = String(UUID().lowercasedText.prefix(8))
        let campaignID = try CampaignID("demo-\(suffix)")
        try await EventStoreRuntime.with(options, logger: logger) { store in
            let handler = CampaignCommandHandler(store: store, logger: logger)
            let now = try Timestamp(microsecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1_000_000))
            let day: Int64 = 86_400_000_000
            let flight = Flight(
                start: try Timestamp(microsecondsSinceEpoch: now.microsecondsSinceEpoch - day),
                end: try Timestamp(microsecondsSinceEpoch: now.microsecondsSinceEpoch + 29 * day)
            )
            func envelope() -> CommandEnvelope {
                CommandEnvelope(commandID: UUID().lowercasedText, correlationID: UUID(), actor: "demo", issuedAt: now)
            }
            let commands: [(String, CampaignCommand)] = [
                ("book a 5,000.00 EUR home takeover", .create(CreateCampaign(
                    campaignID: campaignID, ownerID: try OwnerID("label-demo"), name: "Demo single: home takeover",
                    objective: .reach, budget: Money(amountMinor: 500_000, currency: Currency("EUR")), flight: flight,
                    pacingMode: .even
                ))),
                ("target superfans on home in SE and NO", .addSubcampaign(AddSubcampaign(campaignID: campaignID, subcampaign: NewSubcampaign(
                    id: try SubcampaignID("nordics-home"),
                    targeting: Targeting(markets: [Market("SE"), Market("NO")], surfaces: [Surface("home")], segments: [Segment("superfans")]),
                    pricing: .cpm(450), shareBounds: ShareBounds(minimumBasisPoints: 3_000), promotedItem: .track(try TrackID("trk-demo-1"))
                )))),
                ("and new listeners on search in DE", .addSubcampaign(AddSubcampaign(campaignID: campaignID, subcampaign: NewSubcampaign(
                    id: try SubcampaignID("de-search"),
                    targeting: Targeting(markets: [Market("DE")], surfaces: [Surface("search")], segments: [Segment("new-listeners")]),
                    pricing: .cpc(35), shareBounds: .unbounded, promotedItem: .track(try TrackID("trk-demo-1"))
                )))),
                ("go live", .activate(campaignID)),
                ("report an hour of delivery", .reportDelivery(ReportDelivery(campaignID: campaignID, report: DeliveryReport(
                    reportID: try ReportID("rep-\(suffix)-1"), subcampaignID: try SubcampaignID("nordics-home"),
                    from: flight.start, to: try Timestamp(microsecondsSinceEpoch: flight.start.microsecondsSinceEpoch + 3_600_000_000),
                    impressions: 12_000, reachEstimate: 9_100, clicks: 140, conversions: 11,
                    spend: Money(amountMinor: 5_400, currency: Currency("EUR"))
                )))),
                ("try to cut the budget below what is spent (refused)", .changeBudget(ChangeBudget(
                    campaignID: campaignID, budget: Money(amountMinor: 1_000, currency: Currency("EUR"))
                ))),
            ]
            print("campaign \(campaignID)")
            for (what, command) in commands {
                do {
                    let outcome = try await handler.handle(command, envelope: envelope())
                    print("  ok       \(what): version \(outcome.version)")
                } catch let error as CommandError {
                    print("  refused  \(what): \(error.domainError?.code.rawValue ?? error.code.rawValue): \(error.message)")
                }
            }
            print("")
            for entry in try await CampaignAudit(store: store).history(of: campaignID) {
                print("  v\(entry.recorded.streamVersion)  \(entry.recorded.type)")
            }
            let report = try await ChainVerifier(store: store).verify()
            print("")
            print(report.isIntact
                ? "log verified: \(report.eventsChecked) event(s) in \(report.streamsChecked) stream(s), every hash chain intact"
                : "log does NOT verify: \(report.firstFailure.map(String.init(describing:)) ?? "")")
        }
    }
}

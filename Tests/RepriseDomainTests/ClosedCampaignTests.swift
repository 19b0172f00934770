import RepriseDomain
import Testing

/// An ended or cancelled campaign takes no command at all; only an exact retry of a delivery
/// report it already accepted is answered, with nothing.
@Suite struct ClosedCampaignTests {
    enum Closure: String, CaseIterable, Sendable { case cancelled, ended }

    let id = Fixture.campaignID

    /// A live campaign with one accepted report, then closed.
    func closedCampaign(_ closure: Closure) throws -> Scenario {
        var scenario = try Scenario.active()
        try scenario.run(.reportDelivery(ReportDelivery(campaignID: id, report: Fixture.report())))
        switch closure {
        case .cancelled:
            try scenario.run(.cancel(id))
        case .ended:
            scenario.now = Fixture.afterFlight
            try scenario.run(.end(id))
        }
        #expect(try scenario.campaign.status.rawValue == closure.rawValue)
        return scenario
    }

    /// One of each command, all of them valid against the campaign before it closed.
    var everyCommand: [CampaignCommand] {
        [
            .create(Fixture.create()),
            .changeBudget(ChangeBudget(campaignID: id, budget: Fixture.euros(2_000_000))),
            .changeFlight(ChangeFlight(campaignID: id, flight: Flight(start: Fixture.flight.start, end: "2027-01-10T00:00:00Z"))),
            .activate(id), .pause(id), .resume(id), .cancel(id), .end(id),
            .addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: Fixture.subcampaign("sub-2"))),
            .changeTargeting(ChangeTargeting(
                campaignID: id, subcampaignID: "sub-1",
                targeting: Targeting(markets: ["FI"], surfaces: ["library"], segments: ["lapsed"])
            )),
            .changePrice(ChangePrice(campaignID: id, subcampaignID: "sub-1", pricing: .cpm(500))),
            .changeBudgetBounds(ChangeBudgetBounds(campaignID: id, subcampaignID: "sub-1", shareBounds: ShareBounds(maximumBasisPoints: 5_000))),
            .pauseSubcampaign(id, "sub-1"), .resumeSubcampaign(id, "sub-1"), .removeSubcampaign(id, "sub-1"),
            .reportDelivery(ReportDelivery(campaignID: id, report: Fixture.report("rep-2"))),
        ]
    }

    @Test func theCommandListCoversEveryCommand() {
        #expect(Set(everyCommand.map(Self.caseName)).count == 16)
    }

    @Test(arguments: Closure.allCases)
    func everyCommandIsRejected(_ closure: Closure) throws {
        let scenario = try closedCampaign(closure)
        for command in everyCommand {
            let expected: DomainError.Code = if case .create = command { .campaignAlreadyExists } else { .campaignClosed }
            let error = expectRejection(expected) { try scenario.decide(command) }
            #expect(error != nil, "\(Self.caseName(command)) was accepted on a \(closure) campaign")
        }
    }

    @Test(arguments: Closure.allCases)
    func anExactRetryOfAnAcceptedReportIsStillANoOp(_ closure: Closure) throws {
        let scenario = try closedCampaign(closure)
        #expect(try scenario.decide(.reportDelivery(ReportDelivery(campaignID: id, report: Fixture.report()))) == [])
        expectRejection(.deliveryReportConflict) {
            try scenario.decide(.reportDelivery(ReportDelivery(campaignID: id, report: Fixture.report(clicks: 1))))
        }
    }

    /// The case's name; the switch breaks the build when a command is added, so that the
    /// list above has to follow.
    static func caseName(_ command: CampaignCommand) -> String {
        switch command {
        case .create: "create"
        case .changeBudget: "changeBudget"
        case .changeFlight: "changeFlight"
        case .activate: "activate"
        case .pause: "pause"
        case .resume: "resume"
        case .cancel: "cancel"
        case .end: "end"
        case .addSubcampaign: "addSubcampaign"
        case .changeTargeting: "changeTargeting"
        case .changePrice: "changePrice"
        case .changeBudgetBounds: "changeBudgetBounds"
        case .pauseSubcampaign: "pauseSubcampaign"
        case .resumeSubcampaign: "resumeSubcampaign"
        case .removeSubcampaign: "removeSubcampaign"
        case .reportDelivery: "reportDelivery"
        }
    }
}

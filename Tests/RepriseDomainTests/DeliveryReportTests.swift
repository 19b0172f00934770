import RepriseDomain
import Testing

/// Delivery reports: idempotence by report id, the funnel's sanity, and where delivery is allowed.
@Suite struct DeliveryReportTests {
    let id = Fixture.campaignID

    func report(_ report: DeliveryReport) -> CampaignCommand {
        .reportDelivery(ReportDelivery(campaignID: id, report: report))
    }

    @Test func duplicateDeliveryReportIsANoOp() throws {
        var scenario = try Scenario.active()
        #expect(try scenario.run(report(Fixture.report())).count == 1)
        let before = try scenario.campaign
        #expect(try scenario.run(report(Fixture.report())) == [])
        #expect(try scenario.campaign == before)
        #expect(try scenario.campaign.spent == Fixture.euros(4_500))
        #expect(try scenario.campaign.liveSubcampaign("sub-1")?.delivered.reports == 1)
    }

    @Test func sameReportIDWithOtherContentsIsAConflict() throws {
        var scenario = try Scenario.active()
        try scenario.run(report(Fixture.report()))
        expectRejection(.deliveryReportConflict, field: "reportId") {
            try scenario.decide(report(Fixture.report(clicks: 121)))
        }
        // The conflict is found before anything else about the report is judged.
        expectRejection(.deliveryReportConflict, field: "reportId") {
            try scenario.decide(report(Fixture.report(subcampaign: "sub-9")))
        }
    }

    @Test func spendCurrencyMustMatch() throws {
        expectRejection(.currencyMismatch, field: "spend.currency") {
            try Scenario.active().decide(report(Fixture.report(spend: Money(amountMinor: 100, currency: "SEK"))))
        }
    }

    @Test func countsMustBeNonNegative() throws {
        let scenario = try Scenario.active()
        let cases: [(DeliveryReport, String)] = [
            (Fixture.report(impressions: -1, reach: 0, clicks: 0, conversions: 0), "impressions"),
            (Fixture.report(reach: -1), "reachEstimate"),
            (Fixture.report(clicks: -1, conversions: 0), "clicks"),
            (Fixture.report(conversions: -1), "conversions"),
        ]
        for (bad, field) in cases {
            expectRejection(.negativeCount, field: field) { try scenario.decide(report(bad)) }
        }
        expectRejection(.negativeSpend, field: "spend.amountMinor") {
            try scenario.decide(report(Fixture.report(spend: Fixture.euros(-1))))
        }
        let nothing = Fixture.report(impressions: 0, reach: 0, clicks: 0, conversions: 0, spend: Fixture.euros(0))
        #expect(try scenario.decide(report(nothing)).count == 1)
    }

    @Test func clicksMayNotExceedImpressions() throws {
        expectRejection(.clicksExceedImpressions, field: "clicks") {
            try Scenario.active().decide(report(Fixture.report(impressions: 100, reach: 50, clicks: 101, conversions: 0)))
        }
    }

    @Test func conversionsMayNotExceedClicks() throws {
        expectRejection(.conversionsExceedClicks, field: "conversions") {
            try Scenario.active().decide(report(Fixture.report(clicks: 10, conversions: 11)))
        }
    }

    @Test func reachMayNotExceedImpressions() throws {
        expectRejection(.reachExceedsImpressions, field: "reachEstimate") {
            try Scenario.active().decide(report(Fixture.report(impressions: 100, reach: 101, clicks: 1, conversions: 0)))
        }
    }

    @Test func intervalMustEndAfterItStarts() throws {
        expectRejection(.intervalEndNotAfterStart, field: "to") {
            try Scenario.active().decide(report(Fixture.report(from: "2026-11-10T01:00:00Z", to: "2026-11-10T01:00:00Z")))
        }
    }

    @Test func deliveryIsAcceptedOnlyWhileActiveOrPaused() throws {
        expectRejection(.campaignNotDelivering) { try Scenario.draft().decide(report(Fixture.report())) }
        var paused = try Scenario.active()
        try paused.run(.pause(id))
        #expect(try paused.decide(report(Fixture.report())).count == 1)
        // A paused subcampaign still reports what it served before the pause arrived.
        var pausedSubcampaign = try Scenario.active()
        try pausedSubcampaign.run(.pauseSubcampaign(id, "sub-1"))
        #expect(try pausedSubcampaign.decide(report(Fixture.report())).count == 1)
    }

    @Test func totalsAddUpPerSubcampaign() throws {
        var scenario = try Scenario.active()
        try scenario.run(.addSubcampaign(AddSubcampaign(campaignID: id, subcampaign: Fixture.subcampaign("sub-2"))))
        try scenario.run(report(Fixture.report("rep-1")))
        try scenario.run(report(Fixture.report("rep-2", impressions: 500, reach: 400, clicks: 5, conversions: 1, spend: Fixture.euros(200))))
        try scenario.run(report(Fixture.report("rep-3", subcampaign: "sub-2", spend: Fixture.euros(1_000))))
        let campaign = try scenario.campaign
        #expect(campaign.liveSubcampaign("sub-1")?.delivered == DeliveryTotals(
            reports: 2, impressions: 10_500, reachEstimateSum: 6_400, clicks: 125, conversions: 10, spendMinor: 4_700
        ))
        #expect(campaign.liveSubcampaign("sub-2")?.delivered.spendMinor == 1_000)
        #expect(campaign.spent == Fixture.euros(5_700))
        #expect(campaign.remainingBudgetMinor == 1_000_000 - 5_700)
        #expect(campaign.deliveryReportDigests.count == 3)
    }

    @Test func overspendIsRecordedNotRefused() throws {
        // Spend already happened; refusing the report would only hide it.
        var scenario = try Scenario.active()
        try scenario.run(report(Fixture.report(spend: Fixture.euros(1_000_100))))
        #expect(try scenario.campaign.remainingBudgetMinor == -100)
        expectRejection(.budgetBelowSpent) {
            try scenario.decide(.changeBudget(ChangeBudget(campaignID: id, budget: Fixture.euros(1_000_000))))
        }
    }

    @Test func totalsThatWouldOverflowAreRejected() throws {
        var scenario = try Scenario.active()
        try scenario.run(report(Fixture.report("rep-1", spend: Fixture.euros(.max))))
        expectRejection(.invalidValue) { try scenario.decide(report(Fixture.report("rep-2", spend: Fixture.euros(1)))) }
    }
}

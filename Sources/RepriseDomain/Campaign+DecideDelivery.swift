// Deciding delivery reports.
//
// Delivery is only accepted while the campaign is active or paused: a draft has served
// nothing, and a closed campaign's books are final. (A paused campaign still accepts reports,
// because serving that was under way when the pause was decided reports late.) A report must
// name a live subcampaign. A report is a fact about money already spent, so it is accepted
// even when it takes spend past the budget; the "budget never below spent" invariant binds
// budget changes, and `remainingBudgetMinor` shows any overshoot.

extension Campaign {
    /// True if this exact report was already accepted; a conflict if its id was used for
    /// other contents; false if the report is new.
    func isRepeat(_ report: DeliveryReport) throws(DomainError) -> Bool {
        guard let seen = deliveryReportDigests[report.reportID] else { return false }
        guard seen == report.contentDigest else {
            throw DomainError(
                .deliveryReportConflict, field: "reportId",
                "report \(report.reportID) was already accepted with different contents"
            )
        }
        return true
    }

    func decideDelivery(_ report: DeliveryReport) throws(DomainError) -> [CampaignEvent] {
        guard status == .active || status == .paused else {
            throw DomainError(
                .campaignNotDelivering,
                "campaign \(id) is \(status); delivery can be reported only while it is active or paused"
            )
        }
        let subcampaign = try live(report.subcampaignID)
        try report.check(campaignCurrency: budget.currency)
        guard !subcampaign.delivered.wouldOverflow(adding: report),
              !spent.amountMinor.addingReportingOverflow(report.spend.amountMinor).overflow
        else {
            throw DomainError(.invalidValue, "report \(report.reportID) would overflow the delivery totals")
        }
        return [.deliveryReported(DeliveryReported(campaignID: id, report: report))]
    }
}

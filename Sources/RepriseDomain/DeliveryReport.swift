import Crypto
/// What the delivery side served for one subcampaign over one interval `[from, to)`.
///
/// The report's own id makes it idempotent: the same id with the same contents is accepted
/// once and then ignored; the same id with other contents is a conflict.
public struct DeliveryReport: Hashable, Sendable, Codable {
    public var reportID: ReportID
    public var subcampaignID: SubcampaignID
    public var from: Timestamp
    public var to: Timestamp
    public var impressions: Int64
    /// Distinct listeners reached in the interval, as estimated by the delivery side.
    public var reachEstimate: Int64
    public var clicks: Int64
    public var conversions: Int64
    public var spend: Money

    public init(
        reportID: ReportID, subcampaignID: SubcampaignID, from: Timestamp, to: Timestamp,
        impressions: Int64, reachEstimate: Int64, clicks: Int64, conversions: Int64, spend: Money
    ) {
        self.reportID = reportID
        self.subcampaignID = subcampaignID
        self.from = from
        self.to = to
        self.impressions = impressions
        self.reachEstimate = reachEstimate
        self.clicks = clicks
        self.conversions = conversions
        self.spend = spend
    }

    enum CodingKeys: String, CodingKey {
        case reportID = "reportId", subcampaignID = "subcampaignId"
        case from, to, impressions, reachEstimate, clicks, conversions, spend
    }

    /// SHA-256 of the report's canonical text: what a repeated report id is compared by.
    /// The text is this module's own, so the digest does not depend on any JSON encoder.
    public var contentDigest: String {
        let fields: [String] = [
            "delivery-report/1", reportID.rawValue, subcampaignID.rawValue, from.iso8601, to.iso8601,
            String(impressions), String(reachEstimate), String(clicks), String(conversions),
            String(spend.amountMinor), spend.currency.rawValue,
        ]
        return Hex.encode(SHA256.hash(data: Array(fields.joined(separator: "\n").utf8)))
    }

    /// The counts must describe something that could have happened: nothing negative, and
    /// each step of the funnel no larger than the one before it.
    func check(campaignCurrency: Currency) throws(DomainError) {
        guard to > from else {
            throw DomainError(.intervalEndNotAfterStart, field: "to", "interval end \(to) is not after its start \(from)")
        }
        let counts = [("impressions", impressions), ("reachEstimate", reachEstimate), ("clicks", clicks), ("conversions", conversions)]
        for (name, value) in counts where value < 0 {
            throw DomainError(.negativeCount, field: name, "\(name) \(value) is negative")
        }
        guard reachEstimate <= impressions else {
            throw DomainError(
                .reachExceedsImpressions, field: "reachEstimate",
                "reach estimate \(reachEstimate) exceeds impressions \(impressions): every listener reached saw at least one"
            )
        }
        guard clicks <= impressions else {
            throw DomainError(.clicksExceedImpressions, field: "clicks", "clicks \(clicks) exceed impressions \(impressions)")
        }
        guard conversions <= clicks else {
            throw DomainError(.conversionsExceedClicks, field: "conversions", "conversions \(conversions) exceed clicks \(clicks)")
        }
        guard spend.currency == campaignCurrency else {
            throw DomainError(
                .currencyMismatch, field: "spend.currency",
                "spend currency \(spend.currency) differs from the campaign's \(campaignCurrency)"
            )
        }
        guard spend.amountMinor >= 0 else {
            throw DomainError(.negativeSpend, field: "spend.amountMinor", "spend \(spend.amountMinor) is negative")
        }
    }
}

/// What a subcampaign has delivered so far: the sums over its accepted reports.
public struct DeliveryTotals: Hashable, Sendable, Codable {
    public var reports: Int
    public var impressions: Int64
    /// The sum of per-interval reach estimates: an upper bound on distinct listeners, since
    /// the same listener can be reached in several intervals.
    public var reachEstimateSum: Int64
    public var clicks: Int64
    public var conversions: Int64
    public var spendMinor: Int64

    public init(
        reports: Int = 0, impressions: Int64 = 0, reachEstimateSum: Int64 = 0, clicks: Int64 = 0,
        conversions: Int64 = 0, spendMinor: Int64 = 0
    ) {
        self.reports = reports
        self.impressions = impressions
        self.reachEstimateSum = reachEstimateSum
        self.clicks = clicks
        self.conversions = conversions
        self.spendMinor = spendMinor
    }

    public static let zero = DeliveryTotals()

    /// The totals with `report` added. Sums saturate instead of trapping: `decide` rejects a
    /// report that would overflow, so saturation only guards replay of foreign streams.
    func adding(_ report: DeliveryReport) -> DeliveryTotals {
        DeliveryTotals(
            reports: reports + 1,
            impressions: impressions.saturatingAdd(report.impressions),
            reachEstimateSum: reachEstimateSum.saturatingAdd(report.reachEstimate),
            clicks: clicks.saturatingAdd(report.clicks),
            conversions: conversions.saturatingAdd(report.conversions),
            spendMinor: spendMinor.saturatingAdd(report.spend.amountMinor)
        )
    }

    /// Whether adding `report` would overflow any sum.
    func wouldOverflow(adding report: DeliveryReport) -> Bool {
        impressions.addingReportingOverflow(report.impressions).overflow
            || reachEstimateSum.addingReportingOverflow(report.reachEstimate).overflow
            || clicks.addingReportingOverflow(report.clicks).overflow
            || conversions.addingReportingOverflow(report.conversions).overflow
            || spendMinor.addingReportingOverflow(report.spend.amountMinor).overflow
    }
}

extension Int64 {
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}

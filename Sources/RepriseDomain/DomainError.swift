/// Why a command was rejected: a stable code, the offending field and a sentence for people.
///
/// `field` is a JSON path relative to the command's payload as a client sends it, such as
/// `targeting.markets[1]` or `budget.currency`; bulk buys prefix it with `items[3].`.
public struct DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Code
    public var field: String?
    public var message: String

    public init(_ code: Code, field: String? = nil, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String {
        if let field { return "\(code) at \(field): \(message)" }
        return "\(code): \(message)"
    }

    /// The same error seen from an enclosing object: `at("targeting")` turns `markets[1]`
    /// into `targeting.markets[1]`.
    public func at(_ prefix: String) -> DomainError {
        var copy = self
        copy.field = DomainError.join(prefix, field)
        return copy
    }

    static func join(_ prefix: String, _ field: String?) -> String {
        guard let field, !field.isEmpty else { return prefix }
        return field.hasPrefix("[") ? prefix + field : prefix + "." + field
    }
}

extension DomainError {
    /// A stable, snake_case reason; the HTTP API uses `rawValue` as its problem type.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String

        private init(_ rawValue: String) { self.rawValue = rawValue }

        public var description: String { rawValue }

        // Malformed input.
        public static let invalidValue = Code("invalid_value")
        public static let unknownCurrency = Code("unknown_currency")
        public static let unknownMarket = Code("unknown_market")
        public static let unknownSurface = Code("unknown_surface")
        public static let unknownSegment = Code("unknown_segment")
        public static let duplicateValue = Code("duplicate_value")
        public static let targetingEmpty = Code("targeting_empty")

        // Campaign rules.
        public static let flightEndNotAfterStart = Code("flight_end_not_after_start")
        public static let flightStartInPast = Code("flight_start_in_past")
        public static let flightAlreadyOver = Code("flight_already_over")
        public static let flightNotOver = Code("flight_not_over")
        public static let budgetNotPositive = Code("budget_not_positive")
        public static let budgetBelowSpent = Code("budget_below_spent")
        public static let currencyMismatch = Code("currency_mismatch")
        public static let campaignAlreadyExists = Code("campaign_already_exists")
        public static let campaignNotFound = Code("campaign_not_found")
        public static let campaignClosed = Code("campaign_closed")
        public static let invalidStatusTransition = Code("invalid_status_transition")
        public static let noActiveSubcampaign = Code("no_active_subcampaign")

        // Subcampaign rules.
        public static let priceNotPositive = Code("price_not_positive")
        public static let shareBoundsInvalid = Code("share_bounds_invalid")
        public static let minimumSharesExceedBudget = Code("minimum_shares_exceed_budget")
        public static let subcampaignAlreadyExists = Code("subcampaign_already_exists")
        public static let subcampaignNotFound = Code("subcampaign_not_found")
        /// The promoted track is not held by the campaign's owner in the track catalog.
        public static let trackNotHeld = Code("track_not_held")

        // Limits (`BookingRules`): each code names the limit that was reached.
        public static let tooManySubcampaigns = Code("too_many_subcampaigns")
        public static let targetingTooWide = Code("targeting_too_wide")
        public static let tooManyOpenCampaigns = Code("too_many_open_campaigns")

        // Delivery reports.
        public static let campaignNotDelivering = Code("campaign_not_delivering")
        public static let deliveryReportConflict = Code("delivery_report_conflict")
        public static let intervalEndNotAfterStart = Code("interval_end_not_after_start")
        public static let negativeCount = Code("negative_count")
        public static let negativeSpend = Code("negative_spend")
        public static let reachExceedsImpressions = Code("reach_exceeds_impressions")
        public static let clicksExceedImpressions = Code("clicks_exceed_impressions")
        public static let conversionsExceedClicks = Code("conversions_exceed_clicks")

        // Bulk buys.
        public static let duplicateCampaignInBulkBuy = Code("duplicate_campaign_in_bulk_buy")

        // Supply reports.
        /// A segment's count is larger than its surface's total.
        public static let segmentExceedsSurface = Code("segment_exceeds_surface")
        /// The market's hour holds another report already; supply is never revised.
        public static let supplyAlreadyReported = Code("supply_already_reported")
        /// The market's calendar has another holiday starting at the same moment.
        public static let holidayConflict = Code("holiday_conflict")

        /// Every code, so an API can document them and a test can check they stay distinct.
        public static let all: [Code] = [
            .invalidValue, .unknownCurrency, .unknownMarket, .unknownSurface, .unknownSegment,
            .duplicateValue, .targetingEmpty,
            .flightEndNotAfterStart, .flightStartInPast, .flightAlreadyOver, .flightNotOver, .budgetNotPositive,
            .budgetBelowSpent, .currencyMismatch, .campaignAlreadyExists, .campaignNotFound,
            .campaignClosed, .invalidStatusTransition, .noActiveSubcampaign,
            .priceNotPositive, .shareBoundsInvalid, .minimumSharesExceedBudget,
            .subcampaignAlreadyExists, .subcampaignNotFound, .trackNotHeld,
            .tooManySubcampaigns, .targetingTooWide, .tooManyOpenCampaigns,
            .campaignNotDelivering, .deliveryReportConflict, .intervalEndNotAfterStart,
            .negativeCount, .negativeSpend, .reachExceedsImpressions, .clicksExceedImpressions,
            .conversionsExceedClicks,
            .duplicateCampaignInBulkBuy,
            .segmentExceedsSurface, .supplyAlreadyReported, .holidayConflict,
        ]
    }
}

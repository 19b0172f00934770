import RepriseDomain

/// One supply node's forecast: opportunities per hour from `origin` on, as P10, P50 and P90.
///
/// This is what the forecast cache keeps per node and what forecast serving reads; the
/// three arrays have one value per hour and the same length (the cache keeps 14 days).
public struct NodeForecast: Sendable, Equatable, Codable {
    public var node: SupplyNode
    /// The first hour forecast, on the hour.
    public var origin: Timestamp
    public var p10: [Double]
    public var p50: [Double]
    public var p90: [Double]

    public init(node: SupplyNode, origin: Timestamp, p10: [Double], p50: [Double], p90: [Double]) {
        precondition(p10.count == p50.count && p50.count == p90.count, "a node forecast's quantiles differ in length")
        self.node = node
        self.origin = origin
        self.p10 = p10
        self.p50 = p50
        self.p90 = p90
    }

    /// Hours forecast.
    public var hours: Int { p50.count }

    /// Hours the cache forecasts ahead: 14 days.
    public static let horizonHours = 14 * 24
}

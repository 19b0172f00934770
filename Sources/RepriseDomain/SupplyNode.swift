/// One cell of supply: a market × surface × listener segment. Supply is reported, forecast
/// and allocated per node; a subcampaign's targeting covers every node of its three lists.
public struct SupplyNode: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var market: Market
    public var surface: Surface
    public var segment: Segment

    public init(market: Market, surface: Surface, segment: Segment) {
        self.market = market
        self.surface = surface
        self.segment = segment
    }

    /// `SE/home/casual`: the node's key in rows, buckets and files.
    public var key: String { "\(market.rawValue)/\(surface.rawValue)/\(segment.rawValue)" }

    public var description: String { key }

    /// The node a key names, or nil when the text is not three non-empty parts.
    public init?(key: String) {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        self.init(market: Market(String(parts[0])), surface: Surface(String(parts[1])), segment: Segment(String(parts[2])))
    }

    /// The segment of a surface's total node: every opportunity of the market × surface,
    /// whatever the listener's segments. Segments overlap, so the total is what a union of
    /// segments is estimated against. "all" is not in the catalog, so no targeting names it.
    public static let allSegments = Segment("all")

    /// The node of every opportunity on a market's surface.
    public static func surfaceTotal(market: Market, surface: Surface) -> SupplyNode {
        SupplyNode(market: market, surface: surface, segment: allSegments)
    }

    public static func < (lhs: SupplyNode, rhs: SupplyNode) -> Bool {
        (lhs.market, lhs.surface, lhs.segment) < (rhs.market, rhs.surface, rhs.segment)
    }
}

extension Targeting {
    /// Every node the targeting covers, in order.
    public var nodes: [SupplyNode] {
        markets.flatMap { market in
            surfaces.flatMap { surface in segments.map { SupplyNode(market: market, surface: surface, segment: $0) } }
        }
    }
}

extension SupplyObserved {
    /// Each node's opportunities in the report's hour, for every node the report lists:
    /// each surface's total (`SupplyNode.surfaceTotal`) and each of its segments.
    public var nodeCounts: [(node: SupplyNode, opportunities: Int64)] {
        surfaces.flatMap { entry in
            [(SupplyNode.surfaceTotal(market: market, surface: entry.surface), entry.opportunities)]
                + entry.segments.map { (SupplyNode(market: market, surface: entry.surface, segment: $0.segment), $0.opportunities) }
        }
    }
}

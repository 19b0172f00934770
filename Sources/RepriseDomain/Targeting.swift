/// Who a subcampaign reaches: every combination of its markets, surfaces and listener
/// segments (each combination is one supply node).
///
/// Events carry each list sorted and without duplicates, so equal targeting is equal JSON.
public struct Targeting: Hashable, Sendable, Codable {
    public var markets: [Market]
    public var surfaces: [Surface]
    public var segments: [Segment]

    public init(markets: [Market], surfaces: [Surface], segments: [Segment]) {
        self.markets = markets
        self.surfaces = surfaces
        self.segments = segments
    }

    /// Checks every list against the `Catalog` and returns the targeting in canonical order.
    /// Field paths point at the value as the caller sent it, such as `markets[1]`.
    /// Markets × surfaces are the score rows a subcampaign yields, so `rules` bounds them.
    func checked(rules: BookingRules) throws(DomainError) -> Targeting {
        let checked = Targeting(
            markets: try Targeting.checked(markets, field: "markets"),
            surfaces: try Targeting.checked(surfaces, field: "surfaces"),
            segments: try Targeting.checked(segments, field: "segments")
        )
        let cells = checked.markets.count * checked.surfaces.count
        guard cells <= rules.maxTargetingCellsPerSubcampaign else {
            throw DomainError(
                .targetingTooWide, field: "markets",
                "\(checked.markets.count) markets × \(checked.surfaces.count) surfaces is \(cells) combinations; the limit is \(rules.maxTargetingCellsPerSubcampaign)"
            )
        }
        return checked
    }

    private static func checked<Kind>(
        _ values: [CatalogValue<Kind>], field: String
    ) throws(DomainError) -> [CatalogValue<Kind>] {
        guard !values.isEmpty else {
            throw DomainError(.targetingEmpty, field: field, "targeting needs at least one \(Kind.name)")
        }
        var seen: Set<CatalogValue<Kind>> = []
        for (index, value) in values.enumerated() {
            guard Kind.known.contains(value) else {
                throw DomainError(Kind.unknownCode, field: "\(field)[\(index)]", "\(Kind.name) \"\(value)\" is not in the catalog")
            }
            guard seen.insert(value).inserted else {
                throw DomainError(.duplicateValue, field: "\(field)[\(index)]", "\(Kind.name) \"\(value)\" is listed twice")
            }
        }
        return values.sorted()
    }
}

/// A value from one of the catalog's closed lists (a market, a surface or a segment).
///
/// Any text can be held, so events written under an older catalog still decode; commands
/// are checked against the catalog when they are decided.
public struct CatalogValue<Kind: CatalogKind>: RawRepresentable, Hashable, Comparable, Sendable, Codable,
    CustomStringConvertible
{
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    public static func < (lhs: CatalogValue, rhs: CatalogValue) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One of the catalog's lists: its name, its known values, and the error for an unknown one.
public protocol CatalogKind: Sendable {
    static var name: String { get }
    static var known: Set<CatalogValue<Self>> { get }
    static var unknownCode: DomainError.Code { get }
}

// Tags that keep the catalog's lists apart; they have no values.

/// Tags a `Market`.
public enum MarketKind: CatalogKind {
    public static let name = "market"
    public static var known: Set<Market> { Catalog.markets }
    public static var unknownCode: DomainError.Code { .unknownMarket }
}

/// Tags a `Surface`.
public enum SurfaceKind: CatalogKind {
    public static let name = "surface"
    public static var known: Set<Surface> { Catalog.surfaces }
    public static var unknownCode: DomainError.Code { .unknownSurface }
}

/// Tags a `Segment`.
public enum SegmentKind: CatalogKind {
    public static let name = "segment"
    public static var known: Set<Segment> { Catalog.segments }
    public static var unknownCode: DomainError.Code { .unknownSegment }
}

/// A country where listeners are reached, as an ISO 3166-1 alpha-2 code such as `SE`.
public typealias Market = CatalogValue<MarketKind>
/// A place in the listening app where a promotion can appear, such as `now-playing`.
public typealias Surface = CatalogValue<SurfaceKind>
/// A group of listeners by their relation to the artist or their taste, such as `superfans`.
public typealias Segment = CatalogValue<SegmentKind>

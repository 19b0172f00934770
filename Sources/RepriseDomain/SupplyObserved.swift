import Foundation

/// The ad opportunities the serving side saw in one market over one hour, by surface and
/// listener segment. `supply.observed` v1, in the stream of its market and hour,
/// `supply-<market>-<yyyy-MM-ddTHH>`, which holds this one event.
///
/// A report is the whole picture of its market's hour: a surface it does not list, or a
/// segment a surface does not list, had no opportunities. Segments overlap (a listener
/// belongs to several), so a surface's segment counts may add up to more than its total;
/// none can exceed it. The same report sent again is a no-op; another report for a market
/// and hour already reported is refused (`supply_already_reported`), since supply is an
/// observation, not something to revise.
public struct SupplyObserved: Codable, Hashable, Sendable {
    public static let eventType = "supply.observed"
    public static let schemaVersion = 1

    /// One surface's opportunities in the hour: all of them, and those of each segment.
    public struct SurfaceSupply: Codable, Hashable, Sendable {
        public var surface: Surface
        public var opportunities: Int64
        /// By segment, sorted, each listed once; a segment missing had none.
        public var segments: [SegmentSupply]

        public init(surface: Surface, opportunities: Int64, segments: [SegmentSupply]) {
            self.surface = surface
            self.opportunities = opportunities
            self.segments = segments
        }
    }

    /// The opportunities whose listener belongs to `segment`.
    public struct SegmentSupply: Codable, Hashable, Sendable {
        public var segment: Segment
        public var opportunities: Int64

        public init(segment: Segment, opportunities: Int64) {
            self.segment = segment
            self.opportunities = opportunities
        }
    }

    public var market: Market
    /// The hour's first moment, on the hour: the report covers `[hour, hour + 1 h)`.
    public var hour: Timestamp
    /// Sorted by surface, each listed once.
    public var surfaces: [SurfaceSupply]

    public init(market: Market, hour: Timestamp, surfaces: [SurfaceSupply]) {
        self.market = market
        self.hour = hour
        self.surfaces = surfaces
    }

    public static let microsecondsPerHour: Int64 = 3_600_000_000

    /// The stream of a market's hour.
    public static func streamID(market: Market, hour: Timestamp) -> String {
        "supply-\(market.rawValue)-\(hour.iso8601.prefix(13))"
    }

    public var streamID: String { SupplyObserved.streamID(market: market, hour: hour) }

    /// The append's command id: one per market and hour, so a report sent twice is appended once.
    public var commandID: String { streamID }

    /// Checks the report against the catalog and the rules above and returns it in canonical
    /// order (surfaces and segments sorted). Field paths are those of the report as sent,
    /// such as `surfaces[2].segments[0].segment`.
    public func checked() throws(DomainError) -> SupplyObserved {
        guard Catalog.markets.contains(market) else {
            throw DomainError(.unknownMarket, field: "market", "market \"\(market)\" is not in the catalog")
        }
        guard hour.microsecondsSinceEpoch % SupplyObserved.microsecondsPerHour == 0 else {
            throw DomainError(.invalidValue, field: "hour", "hour \(hour) is not on the hour")
        }
        var seenSurfaces: Set<Surface> = []
        var sorted: [SurfaceSupply] = []
        for (index, entry) in surfaces.enumerated() {
            let field = "surfaces[\(index)]"
            guard Catalog.surfaces.contains(entry.surface) else {
                throw DomainError(.unknownSurface, field: field + ".surface", "surface \"\(entry.surface)\" is not in the catalog")
            }
            guard seenSurfaces.insert(entry.surface).inserted else {
                throw DomainError(.duplicateValue, field: field + ".surface", "surface \"\(entry.surface)\" is listed twice")
            }
            guard entry.opportunities >= 0 else {
                throw DomainError(.negativeCount, field: field + ".opportunities", "opportunities \(entry.opportunities) is negative")
            }
            var seenSegments: Set<Segment> = []
            for (segmentIndex, segment) in entry.segments.enumerated() {
                let segmentField = "\(field).segments[\(segmentIndex)]"
                guard Catalog.segments.contains(segment.segment) else {
                    throw DomainError(.unknownSegment, field: segmentField + ".segment", "segment \"\(segment.segment)\" is not in the catalog")
                }
                guard seenSegments.insert(segment.segment).inserted else {
                    throw DomainError(.duplicateValue, field: segmentField + ".segment", "segment \"\(segment.segment)\" is listed twice")
                }
                guard segment.opportunities >= 0 else {
                    throw DomainError(.negativeCount, field: segmentField + ".opportunities", "opportunities \(segment.opportunities) is negative")
                }
                guard segment.opportunities <= entry.opportunities else {
                    throw DomainError(
                        .segmentExceedsSurface, field: segmentField + ".opportunities",
                        "segment \"\(segment.segment)\" has \(segment.opportunities) opportunities, more than its surface's \(entry.opportunities)"
                    )
                }
            }
            sorted.append(SurfaceSupply(
                surface: entry.surface, opportunities: entry.opportunities,
                segments: entry.segments.sorted { $0.segment < $1.segment }
            ))
        }
        return SupplyObserved(market: market, hour: hour, surfaces: sorted.sorted { $0.surface < $1.surface })
    }

    /// The events a report appends when `existing` is what its market and hour hold already:
    /// itself when nothing is there, none when the same report is, a refusal when another is.
    public static func decide(_ report: SupplyObserved, existing: SupplyObserved?) throws(DomainError) -> [SupplyObserved] {
        let checked = try report.checked()
        guard let existing else { return [checked] }
        guard existing == checked else {
            throw DomainError(
                .supplyAlreadyReported, field: "hour",
                "supply of \(checked.market) for the hour from \(checked.hour) is already reported with other counts"
            )
        }
        return []
    }

    /// The opportunities of one node in this hour (zero when the report does not list it).
    public func opportunities(surface: Surface, segment: Segment) -> Int64 {
        guard let entry = surfaces.first(where: { $0.surface == surface }) else { return 0 }
        return entry.segments.first(where: { $0.segment == segment })?.opportunities ?? 0
    }

    /// The stored form, as `EventCodec.encode` gives it for campaign events: sorted keys, compact.
    public static func encode(_ event: SupplyObserved) -> (type: String, schemaVersion: Int, data: [UInt8]) {
        (eventType, schemaVersion, EventCodec.encodeJSON(event))
    }

    /// A stored report read back. Older versions go through `EventUpcaster`, as campaign
    /// events do.
    public static func decode(type: String, schemaVersion: Int, data: [UInt8]) throws(EventCodecError) -> SupplyObserved {
        guard type == eventType else {
            throw EventCodecError(.unknownType, type: type, schemaVersion: schemaVersion, "\"\(type)\" is not \(eventType)")
        }
        let current = try EventUpcaster.upcast(type: type, schemaVersion: schemaVersion, data: data, to: SupplyObserved.schemaVersion)
        do {
            return try JSONDecoder().decode(SupplyObserved.self, from: Data(current))
        } catch {
            throw EventCodecError(.malformedData, type: type, schemaVersion: schemaVersion, EventCodec.describe(error))
        }
    }
}

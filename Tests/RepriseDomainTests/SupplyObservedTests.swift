import RepriseDomain
import Testing

@Suite struct SupplyObservedTests {
    static let report = SupplyObserved(market: "SE", hour: "2026-11-21T10:00:00Z", surfaces: [
        .init(surface: "search", opportunities: 50, segments: []),
        .init(surface: "home", opportunities: 900, segments: [.init(segment: "genre-pop", opportunities: 700), .init(segment: "casual", opportunities: 400)]),
    ])

    @Test func aReportIsCheckedAndPutInCanonicalOrder() throws {
        let checked = try Self.report.checked()
        #expect(checked.surfaces.map(\.surface) == ["home", "search"])
        #expect(checked.surfaces[0].segments.map(\.segment) == ["casual", "genre-pop"])
        #expect(checked.opportunities(surface: "home", segment: "genre-pop") == 700)
        #expect(checked.opportunities(surface: "browse", segment: "casual") == 0)
        #expect(checked.streamID == "supply-SE-2026-11-21T10")
    }

    @Test func badReportsNameTheirField() {
        var unknown = Self.report
        unknown.surfaces[1].segments[0].segment = "vip"
        #expect(throws: DomainError(.unknownSegment, field: "surfaces[1].segments[0].segment", #"segment "vip" is not in the catalog"#)) {
            try unknown.checked()
        }
        var tooMany = Self.report
        tooMany.surfaces[1].segments[1].opportunities = 901
        #expect((try? tooMany.checked()) == nil)
        var offHour = Self.report
        offHour.hour = "2026-11-21T10:30:00Z"
        #expect((try? offHour.checked()) == nil)
        var market = Self.report
        market.market = "XX"
        #expect((try? market.checked()) == nil)
    }

    @Test func theSameReportAgainIsANoOpAndAnotherIsRefused() throws {
        let first = try SupplyObserved.decide(Self.report, existing: nil)
        #expect(first.count == 1)
        #expect(try SupplyObserved.decide(Self.report, existing: first[0]).isEmpty)
        var other = Self.report
        other.surfaces[0].opportunities = 51
        #expect(throws: DomainError.self) { try SupplyObserved.decide(other, existing: first[0]) }
    }
}

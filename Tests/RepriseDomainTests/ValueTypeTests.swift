import Foundation
import RepriseDomain
import Testing

/// The small value types: ids, timestamps, the catalog, digests, error codes.
@Suite struct ValueTypeTests {
    @Test(arguments: ["a", "cmp-1", "A.b_c:d-e", "9", String(repeating: "x", count: 128)])
    func validIdentifiers(_ text: String) throws {
        #expect(try CampaignID(text).rawValue == text)
    }

    @Test(arguments: ["", "-a", ".a", "a b", "a/b", "å", String(repeating: "x", count: 129)])
    func invalidIdentifiers(_ text: String) throws {
        let error = #expect(throws: DomainError.self) { try SubcampaignID(text) }
        #expect(error?.code == .invalidValue)
        #expect(error?.message.contains("subcampaign id") == true)
    }

    @Test func identifiersAreCheckedWhenDecoded() throws {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([CampaignID].self, from: Data(#"["a b"]"#.utf8)) }
        #expect(try JSONDecoder().decode([CampaignID].self, from: Data(#"["ok"]"#.utf8)) == ["ok"])
    }

    @Test(arguments: [
        ("1970-01-01T00:00:00.000000Z", 0),
        ("1970-01-01T00:00:00.000001Z", 1),
        ("1969-12-31T23:59:59.999999Z", -1),
        ("2026-11-21T10:00:00.000000Z", 1_795_255_200_000_000),
        ("2024-02-29T12:30:45.123456Z", 1_709_209_845_123_456),
        ("2000-03-01T00:00:00.000000Z", 951_868_800_000_000),
        ("0001-01-01T00:00:00.000000Z", -62_135_596_800_000_000),
        ("9999-12-31T23:59:59.999999Z", 253_402_300_799_999_999),
    ] as [(String, Int64)])
    func timestampsConvertBothWays(_ text: String, _ micros: Int64) throws {
        let parsed = try Timestamp(text)
        #expect(parsed.microsecondsSinceEpoch == micros)
        #expect(try Timestamp(microsecondsSinceEpoch: micros).iso8601 == text)
    }

    @Test(arguments: [
        ("2026-11-21T10:00:00Z", "2026-11-21T10:00:00.000000Z"),
        ("2026-11-21T10:00:00.5Z", "2026-11-21T10:00:00.500000Z"),
        ("2026-11-21T10:00:00.123Z", "2026-11-21T10:00:00.123000Z"),
    ])
    func timestampsAcceptShorterFractions(_ text: String, _ canonical: String) throws {
        #expect(try Timestamp(text).iso8601 == canonical)
    }

    @Test(arguments: [
        "", "2026-11-21", "2026-11-21T10:00:00", "2026-11-21T10:00:00+01:00", "2026-11-21 10:00:00Z",
        "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-21T24:00:00Z",
        "2026-11-21T10:60:00Z", "2026-11-21T10:00:60Z", "2026-11-21T10:00:00.Z", "2026-11-21T10:00:00.1234567Z",
        "0000-01-01T00:00:00Z", "+2026-11-21T10:00:00Z", "2026-1-21T10:00:00.000Z",
    ])
    func malformedTimestampsAreRejected(_ text: String) throws {
        let error = #expect(throws: DomainError.self) { try Timestamp(text) }
        #expect(error?.code == .invalidValue)
    }

    @Test func timestampsOutsideTheRangeAreRejected() throws {
        #expect(throws: DomainError.self) { try Timestamp(microsecondsSinceEpoch: .max) }
        #expect(throws: DomainError.self) { try Timestamp(microsecondsSinceEpoch: .min) }
    }

    @Test func catalogListsAreComplete() {
        #expect(Catalog.markets.count == 249)
        #expect(Catalog.markets.isSuperset(of: ["SE", "US", "BR", "JP", "NG", "AX", "SS"]))
        #expect(Catalog.markets.allSatisfy { $0.rawValue.count == 2 && $0.rawValue.allSatisfy(\.isUppercase) })
        #expect(Catalog.surfaces == ["home", "search", "now-playing", "radio-autoplay", "library", "browse"])
        #expect(Catalog.segments.isSuperset(of: ["new-listeners", "casual", "engaged", "superfans", "lapsed"]))
        #expect(Catalog.currencies.isSuperset(of: ["EUR", "USD", "SEK", "JPY", "XOF", "ZWG"]))
        #expect(Catalog.currencies.isDisjoint(with: ["XAU", "XTS", "XXX", "HRK"]))
    }

    @Test func errorCodesAreDistinctAndSnakeCase() {
        let raw = DomainError.Code.all.map(\.rawValue)
        #expect(Set(raw).count == raw.count)
        #expect(raw.allSatisfy { $0.allSatisfy { $0.isLowercase || $0 == "_" } })
    }

    @Test func errorPathsCompose() {
        let error = DomainError(.unknownMarket, field: "markets[1]", "m").at("targeting").at("subcampaigns[2]").at("items[3]")
        #expect(error.field == "items[3].subcampaigns[2].targeting.markets[1]")
        #expect(DomainError(.invalidValue, "x").at("name").field == "name")
    }

    @Test func jsonValuesKeepIntegersBooleansAndNullsApart() throws {
        let text = #"{"a":0,"b":1,"c":true,"d":1.5,"e":null,"f":"x","g":[false,-7]}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(value == .object([
            "a": .integer(0), "b": .integer(1), "c": .bool(true), "d": .number(1.5), "e": .null, "f": .string("x"),
            "g": .array([.bool(false), .integer(-7)]),
        ]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(value), as: UTF8.self) == text)
    }

    @Test func campaignStateEncodesAsPlainJSON() throws {
        let campaign = try #require(try Scenario.fullLifecycle().state)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = try #require(try JSONSerialization.jsonObject(with: encoder.encode(campaign)) as? [String: Any])
        #expect(json["ownerId"] as? String == "label-7")
        // The report digests grow with every report; the API pages them apart.
        #expect(json["deliveryReportDigests"] == nil)
        #expect(campaign.deliveryReportDigests.count == 3)
    }
}

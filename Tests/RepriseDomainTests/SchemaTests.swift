import Crypto
import Foundation
import RepriseDomain
import RepriseTestSupport
import Testing

/// The JSON Schemas in `schemas/events/` against what the domain really writes.
@Suite struct SchemaTests {
    /// The repository's `schemas/events/`, found from this file's own path.
    static let schemaFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // RepriseDomainTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the repository
        .appendingPathComponent("schemas/events")

    static func validator(_ fileName: String) throws -> JSONSchemaValidator {
        try JSONSchemaValidator(contentsOf: schemaFolder.appendingPathComponent(fileName))
    }

    static func json(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    static func json(_ text: String) throws -> JSONValue { try json(Array(text.utf8)) }

    @Test func everyEmittedEventMatchesItsSchema() throws {
        var bulk = try BulkBuy.decide(
            [CreateCampaignWithSubcampaigns(campaign: Fixture.create("cmp-3"), subcampaigns: [Fixture.subcampaign()], activate: true)],
            existing: { _ in false }, context: Fixture.context()
        ).flatMap(\.events)
        bulk += try Scenario.everyEventType()
        for event in bulk {
            let stored = EventCodec.encode(event)
            let validator = try Self.validator("\(stored.type).v\(stored.schemaVersion).json")
            let errors = validator.errors(in: try Self.json(stored.data))
            #expect(errors.isEmpty, "\(stored.type) v\(stored.schemaVersion): \(errors)")
        }
    }

    @Test func aClockTickMatchesItsSchema() throws {
        let tick = ClockTicked.encode(ClockTicked(minuteContaining: "2026-11-21T10:00:42.123456Z"))
        let validator = try Self.validator("\(tick.type).v\(tick.schemaVersion).json")
        #expect(validator.errors(in: try Self.json(tick.data)).isEmpty)
        #expect(!validator.errors(in: try Self.json(#"{"at":"2026-11-21T10:00:00Z"}"#)).isEmpty)
        #expect(!validator.errors(in: try Self.json(#"{"at":"2026-11-21T10:00:00.000000Z","tz":"UTC"}"#)).isEmpty)
    }

    @Test func aTrackAssignmentMatchesItsSchemaAndReadsBack() throws {
        let stored = TrackAssigned.encode(TrackAssigned(trackID: "trk-42", ownerID: "label-7"))
        let validator = try Self.validator("\(stored.type).v\(stored.schemaVersion).json")
        #expect(validator.errors(in: try Self.json(stored.data)).isEmpty)
        #expect(String(decoding: stored.data, as: UTF8.self) == #"{"ownerId":"label-7","trackId":"trk-42"}"#)
        #expect(!validator.errors(in: try Self.json(#"{"trackId":"trk-42"}"#)).isEmpty)
        #expect(!validator.errors(in: try Self.json(#"{"ownerId":"label-7","trackId":"trk-42","note":"x"}"#)).isEmpty)
        let read = try TrackAssigned.decode(type: stored.type, schemaVersion: stored.schemaVersion, data: stored.data)
        #expect(read == TrackAssigned(trackID: "trk-42", ownerID: "label-7"))
        #expect(throws: EventCodecError.self) { try TrackAssigned.decode(type: stored.type, schemaVersion: 2, data: stored.data) }
    }

    @Test func aSupplyReportMatchesItsSchemaAndReadsBack() throws {
        let report = SupplyObserved(market: "SE", hour: "2026-11-21T10:00:00Z", surfaces: [
            .init(surface: "home", opportunities: 900, segments: [.init(segment: "casual", opportunities: 400), .init(segment: "genre-pop", opportunities: 700)]),
        ])
        let stored = SupplyObserved.encode(report)
        let validator = try Self.validator("\(stored.type).v\(stored.schemaVersion).json")
        #expect(validator.errors(in: try Self.json(stored.data)).isEmpty)
        #expect(!validator.errors(in: try Self.json(#"{"market":"SE","hour":"2026-11-21T10:00:00.000000Z"}"#)).isEmpty)
        #expect(!validator.errors(in: try Self.json(
            #"{"market":"SE","hour":"2026-11-21T10:00:00.000000Z","surfaces":[{"surface":"home","opportunities":-1,"segments":[]}]}"#
        )).isEmpty)
        #expect(try SupplyObserved.decode(type: stored.type, schemaVersion: stored.schemaVersion, data: stored.data) == report)
    }

    @Test func aHolidayMatchesItsSchemaAndReadsBack() throws {
        let holiday = HolidayDeclared(market: "SE", from: "2026-12-23T23:00:00Z", to: "2026-12-24T23:00:00Z", name: "Julafton")
        let stored = HolidayDeclared.encode(holiday)
        let validator = try Self.validator("\(stored.type).v\(stored.schemaVersion).json")
        #expect(validator.errors(in: try Self.json(stored.data)).isEmpty)
        #expect(!validator.errors(in: try Self.json(#"{"market":"SE","from":"2026-12-23T23:00:00.000000Z","to":"2026-12-24T23:00:00.000000Z"}"#)).isEmpty)
        #expect(try HolidayDeclared.decode(type: stored.type, schemaVersion: stored.schemaVersion, data: stored.data) == holiday)
        #expect(try HolidayDeclared.decide(holiday, calendar: [holiday]).isEmpty)
        var other = holiday
        other.name = "Christmas Eve"
        #expect(throws: DomainError.self) { try HolidayDeclared.decide(other, calendar: [holiday]) }
        var long = holiday
        long.to = "2026-12-26T00:00:00Z"
        #expect(throws: DomainError.self) { try long.checked() }
    }

    @Test func everyStoredEnvelopeMatchesTheEnvelopeSchema() throws {
        let validator = try Self.validator("envelope.v1.json")
        var previousHash: JSONValue = .null
        for (index, event) in try Scenario.fullLifecycle().events.enumerated() {
            let stored = EventCodec.encode(event)
            let hash = Hex.encode(SHA256.hash(data: stored.data))
            let envelope: JSONValue = .object([
                "eventId": .string("01937c4e-8a2b-7c3d-9e4f-\(String(format: "%012x", index))"),
                "streamId": .string(Campaign.streamID(for: event.campaignID)),
                "streamVersion": .integer(Int64(index + 1)),
                "type": .string(stored.type),
                "schemaVersion": .integer(Int64(stored.schemaVersion)),
                "data": try Self.json(stored.data),
                "correlationId": .string("01937c4e-0000-7000-8000-\(String(format: "%012x", index))"),
                "causationId": index == 0 ? .null : .string("01937c4e-0000-7000-8000-\(String(format: "%012x", index - 1))"),
                "actor": .string("label-7"),
                "commandId": .string("command-\(index)"),
                "recordedAt": .string("2026-11-21T10:00:00.000000Z"),
                "logPosition": .string("\(1000 + index):\(index + 1)"),
                "hash": .string(hash),
                "previousHash": previousHash,
            ])
            #expect(validator.errors(in: envelope).isEmpty, "\(validator.errors(in: envelope))")
            previousHash = .string(hash)
        }
    }

    @Test func schemaFilesAndCodecVersionsMatchExactly() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.schemaFolder.path)
            .filter { $0.hasSuffix(".json") && $0 != "envelope.v1.json" }
        let onDisk = Set(files)
        // Campaign events come from the codec; the clock's tick, the track catalog's
        // assignment, the supply report and the holiday calendar are the events outside it.
        let known = Set(EventCodec.knownVersions.flatMap { type, versions in versions.map { "\(type).v\($0).json" } })
            .union(["\(ClockTicked.eventType).v\(ClockTicked.schemaVersion).json"])
            .union((EventUpcaster.olderVersions(of: TrackAssigned.eventType) + [TrackAssigned.schemaVersion]).map { "\(TrackAssigned.eventType).v\($0).json" })
            .union((EventUpcaster.olderVersions(of: SupplyObserved.eventType) + [SupplyObserved.schemaVersion]).map { "\(SupplyObserved.eventType).v\($0).json" })
            .union(["\(HolidayDeclared.eventType).v\(HolidayDeclared.schemaVersion).json"])
        #expect(onDisk == known, "schemas without a codec version: \(onDisk.subtracting(known)); codec versions without a schema: \(known.subtracting(onDisk))")
        #expect(known.count == 21)
    }

    @Test func everySchemaUsesOnlyWhatTheValidatorChecksAndNamesItself() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.schemaFolder.path).filter { $0.hasSuffix(".json") }
        for file in files {
            let validator = try Self.validator(file)  // throws on an unsupported keyword
            #expect(validator.root["$schema"] == .string("https://json-schema.org/draft/2020-12/schema"), "\(file)")
            #expect(validator.root["additionalProperties"] == .bool(false), "\(file)")
            if file != "envelope.v1.json" {
                let name = file.dropLast(".json".count).split(separator: ".v")
                #expect(validator.root["title"] == .string("\(name[0]) v\(name[1])"), "\(file)")
            }
        }
    }

    @Test func storedV1DataMatchesTheV1SchemaAndItsUpcastTheV2Schema() throws {
        let v1 = Array(#"""
            {"campaignId":"cmp-1","subcampaignId":"sub-1","cpmMinor":450,
             "targeting":{"markets":["NO","SE"],"surfaces":["home"],"segments":["superfans"]},
             "shareBounds":{},"promotedItem":{"kind":"creative","id":"crv-1"}}
            """#.utf8)
        #expect(try Self.validator("subcampaign.added.v1.json").errors(in: Self.json(v1)).isEmpty)
        #expect(try !Self.validator("subcampaign.added.v2.json").errors(in: Self.json(v1)).isEmpty)
        let upcast = try EventUpcaster.upcast(type: "subcampaign.added", schemaVersion: 1, data: v1, to: 2)
        #expect(try Self.validator("subcampaign.added.v2.json").errors(in: Self.json(upcast)).isEmpty)
    }

    /// Each case breaks exactly one rule of a valid `campaign.created` event.
    @Test(arguments: [
        ("missing required", #"{"ownerId":"o"}"#, "missing required \"campaignId\""),
        ("extra property", #"{"colour":"red"}"#, "unexpected property \"colour\""),
        ("id pattern", #"{"campaignId":"no spaces"}"#, "does not match"),
        ("closed enum", #"{"objective":"fame"}"#, "is not one of"),
        ("minimum", #"{"budget":{"amountMinor":0,"currency":"EUR"}}"#, "below the minimum"),
        ("currency pattern", #"{"budget":{"amountMinor":5,"currency":"eur"}}"#, "does not match"),
        ("integer type", #"{"budget":{"amountMinor":"5","currency":"EUR"}}"#, "expected integer"),
        ("timestamp pattern", #"{"flight":{"start":"2026-11-10","end":"2026-12-10T00:00:00.000000Z"}}"#, "does not match"),
        ("maxLength", "{\"name\":\"\(String(repeating: "x", count: 201))\"}", "longer than 200"),
        ("minLength", #"{"name":""}"#, "shorter than 1"),
        ("nested extra", #"{"flight":{"start":"2026-11-10T00:00:00.000000Z","end":"2026-12-10T00:00:00.000000Z","tz":"CET"}}"#, "unexpected property \"tz\""),
        ("null not allowed", #"{"name":null}"#, "expected string"),
    ])
    func theValidatorRejectsWrongJSON(_ rule: String, _ override: String, _ expected: String) throws {
        let valid = try Self.json(EventCodec.encode(try Scenario.fullLifecycle().events[0]).data)
        guard case .object(var members) = valid, case .object(let changes) = try Self.json(override) else {
            Issue.record("test data is not an object")
            return
        }
        if rule == "missing required" { members["campaignId"] = nil } else { members.merge(changes) { $1 } }
        let errors = try Self.validator("campaign.created.v1.json").errors(in: .object(members))
        #expect(errors.contains { $0.contains(expected) }, "\(rule): \(errors)")
        #expect(try Self.validator("campaign.created.v1.json").errors(in: valid).isEmpty)
    }

    @Test func theValidatorChecksArraysNullablesAndOneOf() throws {
        let added = try Self.validator("subcampaign.added.v2.json")
        let valid = try Self.json(EventCodec.encode(try Scenario.fullLifecycle().events[1]).data)
        guard case .object(let members) = valid else { throw JSONSchemaValidator.UnsupportedSchema(description: "not an object") }
        func errors(_ key: String, _ value: String) throws -> [String] {
            var changed = members
            changed[key] = try Self.json(value)
            return added.errors(in: .object(changed))
        }
        #expect(try errors("targeting", #"{"markets":[],"surfaces":["home"],"segments":["casual"]}"#).contains { $0.contains("fewer than 1") })
        #expect(try errors("targeting", #"{"markets":["SE","SE"],"surfaces":["home"],"segments":["casual"]}"#).contains { $0.contains("not unique") })
        #expect(try errors("targeting", #"{"markets":["swe"],"surfaces":["home"],"segments":["casual"]}"#).contains { $0.contains("markets[0]") })
        #expect(try errors("promotedItem", #"{"kind":"album","id":"a"}"#).contains { $0.contains("oneOf") })
        #expect(try errors("pricing", #"{"model":"cpa","amountMinor":5}"#).contains { $0.contains("is not one of") })
        #expect(try errors("shareBounds", #"{"minimumBasisPoints":10001}"#).contains { $0.contains("above the maximum") })

        let envelope = try Self.validator("envelope.v1.json")
        let nullHash: JSONValue = .object(["previousHash": .null])
        #expect(!envelope.errors(in: nullHash).contains { $0.contains("previousHash") })
        let badHash: JSONValue = .object(["previousHash": .string("ABC")])
        #expect(envelope.errors(in: badHash).contains { $0.contains("previousHash") })
        let wrongType: JSONValue = .object(["causationId": .integer(7)])
        #expect(envelope.errors(in: wrongType).contains { $0.contains("expected string or null") })
    }

    @Test func theValidatorHandlesAnyOfConstRefsAndItemLimits() throws {
        let schema = try JSONSchemaValidator(schema: Self.json(#"""
            {"type":"array","maxItems":2,"items":{"anyOf":[{"$ref":"#/$defs/Small"},{"const":"big"}]},
             "$defs":{"Small":{"type":"integer","minimum":0,"maximum":9}}}
            """#))
        #expect(schema.errors(in: try Self.json(#"[3,"big"]"#)).isEmpty)
        #expect(schema.errors(in: try Self.json(#"[10]"#)).contains { $0.contains("$[0]: matches none of anyOf") })
        #expect(schema.errors(in: try Self.json(#"["huge"]"#)).contains { $0.contains("anyOf") })
        #expect(schema.errors(in: try Self.json(#"[1,2,3]"#)).contains { $0.contains("more than 2 items") })
        #expect(schema.errors(in: try Self.json(#"{}"#)).contains { $0.contains("expected array") })
    }

    @Test func theValidatorRefusesKeywordsItDoesNotCheck() throws {
        #expect(throws: JSONSchemaValidator.UnsupportedSchema.self) {
            try JSONSchemaValidator(schema: Self.json(#"{"type":"object","patternProperties":{"^x":{}}}"#))
        }
    }
}

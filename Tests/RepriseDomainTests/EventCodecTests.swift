import Foundation
import RepriseDomain
import Testing

/// The codec: round trips, byte-for-byte determinism, upcasting of old versions, and typed
/// errors for what cannot be read.
@Suite struct EventCodecTests {
    @Test func everyEventTypeRoundTrips() throws {
        for event in try Scenario.everyEventType() {
            let stored = EventCodec.encode(event)
            #expect(stored.type == event.type)
            #expect(stored.schemaVersion == EventCodec.currentVersions[event.type])
            let decoded = try EventCodec.decode(type: stored.type, schemaVersion: stored.schemaVersion, data: stored.data)
            #expect(decoded == event)
        }
    }

    @Test func encodingIsDeterministic() throws {
        for event in try Scenario.everyEventType() {
            let first = EventCodec.encode(event).data
            // Decode and encode again, so nothing can depend on an identical in-memory value.
            let again = try EventCodec.decode(type: event.type, schemaVersion: event.schemaVersion, data: first)
            #expect(EventCodec.encode(again).data == first)
            #expect(EventCodec.encode(event).data == first)
        }
    }

    @Test func jsonIsCamelCaseWithSortedKeys() throws {
        let added = try Scenario.fullLifecycle().events[1]
        let json = String(decoding: EventCodec.encode(added).data, as: UTF8.self)
        #expect(json == """
            {"campaignId":"cmp-1","pricing":{"amountMinor":450,"model":"cpm"},"promotedItem":{"id":"trk-42","kind":"track"},\
            "shareBounds":{"maximumBasisPoints":6000,"minimumBasisPoints":2000},"subcampaignId":"sub-1",\
            "targeting":{"markets":["NO","SE"],"segments":["superfans"],"surfaces":["home","now-playing"]}}
            """)
        let created = try Scenario.fullLifecycle().events[0]
        let createdJSON = String(decoding: EventCodec.encode(created).data, as: UTF8.self)
        #expect(createdJSON.contains(#""flight":{"end":"2026-12-10T00:00:00.000000Z","start":"2026-11-10T00:00:00.000000Z"}"#))
    }

    @Test func storedV1SubcampaignAddedDecodesToTheCurrentEvent() throws {
        let v1 = """
            {"campaignId":"cmp-1","subcampaignId":"sub-1","cpmMinor":450,
             "targeting":{"markets":["NO","SE"],"surfaces":["home"],"segments":["superfans"]},
             "shareBounds":{"minimumBasisPoints":500},"promotedItem":{"kind":"track","id":"trk-42"}}
            """
        let event = try EventCodec.decode(type: "subcampaign.added", schemaVersion: 1, data: Array(v1.utf8))
        #expect(event == .subcampaignAdded(SubcampaignAdded(
            campaignID: "cmp-1", subcampaignID: "sub-1",
            targeting: Targeting(markets: ["NO", "SE"], surfaces: ["home"], segments: ["superfans"]),
            pricing: .cpm(450), shareBounds: ShareBounds(minimumBasisPoints: 500), promotedItem: .track("trk-42")
        )))
        #expect(event.schemaVersion == 2)
        #expect(EventCodec.knownVersions["subcampaign.added"] == [1, 2])
    }

    @Test func v1WithoutAPriceIsMalformed() throws {
        let v1 = #"{"campaignId":"cmp-1","subcampaignId":"sub-1"}"#
        let error = #expect(throws: EventCodecError.self) {
            try EventCodec.decode(type: "subcampaign.added", schemaVersion: 1, data: Array(v1.utf8))
        }
        #expect(error?.code == .malformedData)
    }

    @Test func unknownTypeIsATypedError() throws {
        let error = #expect(throws: EventCodecError.self) {
            try EventCodec.decode(type: "campaign.teleported", schemaVersion: 1, data: Array("{}".utf8))
        }
        #expect(error?.code == .unknownType)
        #expect(error?.type == "campaign.teleported")
    }

    @Test(arguments: [0, -1, 2, 99])
    func unknownVersionIsATypedError(_ version: Int) throws {
        let stored = EventCodec.encode(.campaignActivated(CampaignActivated(campaignID: "cmp-1")))
        let error = #expect(throws: EventCodecError.self) {
            try EventCodec.decode(type: stored.type, schemaVersion: version, data: stored.data)
        }
        #expect(error?.code == .unknownSchemaVersion)
        #expect(error?.schemaVersion == version)
    }

    @Test func subcampaignAddedV3IsUnknown() throws {
        let error = #expect(throws: EventCodecError.self) {
            try EventCodec.decode(type: "subcampaign.added", schemaVersion: 3, data: Array("{}".utf8))
        }
        #expect(error?.code == .unknownSchemaVersion)
    }

    @Test(arguments: [
        "not json",
        "[]",
        #"{"campaignId":"cmp-1"}"#,
        #"{"campaignId":"cmp 1","endedAt":"2026-12-10T00:00:00.000000Z"}"#,
        #"{"campaignId":"cmp-1","endedAt":"2026-12-10 00:00"}"#,
        #"{"campaignId":"cmp-1","endedAt":42}"#,
    ])
    func malformedDataIsATypedError(_ json: String) throws {
        let error = #expect(throws: EventCodecError.self) {
            try EventCodec.decode(type: "campaign.ended", schemaVersion: 1, data: Array(json.utf8))
        }
        #expect(error?.code == .malformedData)
    }

    @Test func malformedDataNamesTheField() throws {
        let json = #"{"campaignId":"cmp-1","report":{"reportId":"r"}}"#
        let error = #expect(throws: EventCodecError.self) {
            try EventCodec.decode(type: "delivery.reported", schemaVersion: 1, data: Array(json.utf8))
        }
        #expect(error?.message.contains("report") == true)
        #expect(error?.message.contains("subcampaignId") == true)
    }
}

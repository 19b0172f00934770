import RepriseDomain
import RepriseTestSupport
import Testing

/// The clock's tick: its stored bytes, its minute floor, its idempotency key, and what the
/// codec refuses.
@Suite struct ClockTickedTests {
    @Test func encodesToCanonicalJSONAndBack() throws {
        let tick = ClockTicked(at: "2026-11-21T10:01:00Z")
        let stored = ClockTicked.encode(tick)
        #expect(stored.type == "clock.ticked")
        #expect(stored.schemaVersion == 1)
        #expect(String(decoding: stored.data, as: UTF8.self) == #"{"at":"2026-11-21T10:01:00.000000Z"}"#)
        #expect(try ClockTicked.decode(type: stored.type, schemaVersion: stored.schemaVersion, data: stored.data) == tick)
        #expect(ClockTicked.streamID == "clock-utc")
    }

    @Test(arguments: [
        ("2026-11-21T10:01:59.999999Z", "2026-11-21T10:01:00.000000Z"),
        ("2026-11-21T10:01:00.000000Z", "2026-11-21T10:01:00.000000Z"),
        ("1969-12-31T23:59:30.500000Z", "1969-12-31T23:59:00.000000Z"),  // before the epoch: floor, not truncate
        ("0001-01-01T00:00:00.000000Z", "0001-01-01T00:00:00.000000Z"),
    ])
    func aTickIsTheMinuteThatContainsTheReading(_ reading: String, _ minute: String) throws {
        #expect(ClockTicked(minuteContaining: try Timestamp(reading)).at.iso8601 == minute)
    }

    @Test func twoReadingsInOneMinuteAreOneCommand() throws {
        let first = ClockTicked(minuteContaining: "2026-11-21T10:01:03.000001Z")
        let second = ClockTicked(minuteContaining: "2026-11-21T10:01:58Z")
        #expect(first.commandID == second.commandID)
        #expect(first.commandID == "clock-tick-2026-11-21T10:01:00.000000Z")
        #expect(ClockTicked(minuteContaining: "2026-11-21T10:02:00Z").commandID != first.commandID)
    }

    @Test func refusesOtherTypesVersionsAndBadData() throws {
        let data = ClockTicked.encode(ClockTicked(at: "2026-11-21T10:01:00Z")).data
        let wrongType = #expect(throws: EventCodecError.self) {
            try ClockTicked.decode(type: "campaign.created", schemaVersion: 1, data: data)
        }
        #expect(wrongType?.code == .unknownType)
        let wrongVersion = #expect(throws: EventCodecError.self) {
            try ClockTicked.decode(type: "clock.ticked", schemaVersion: 2, data: data)
        }
        #expect(wrongVersion?.code == .unknownSchemaVersion)
        for bad in [#"{"at":"2026-11-21 10:01"}"#, #"{}"#, "not json"] {
            let malformed = #expect(throws: EventCodecError.self) {
                try ClockTicked.decode(type: "clock.ticked", schemaVersion: 1, data: Array(bad.utf8))
            }
            #expect(malformed?.code == .malformedData, "\(bad)")
        }
    }
}

import Foundation
import RepriseTestSupport
import Testing

/// Issue 11, items 5 and 6 over HTTP: the track catalog, flights that start at booking, and
/// the booking limits, each refusal a problem that names the rule.
@Suite("Booking rules over HTTP")
struct BookingRulesRouteTests {
    static func subcampaign(_ id: String, track: String, markets: [String] = ["SE"], surfaces: [String] = ["home"]) -> String {
        let markets = markets.map { "\"\($0)\"" }.joined(separator: ","), surfaces = surfaces.map { "\"\($0)\"" }.joined(separator: ",")
        return """
            {"id":"\(id)","targeting":{"markets":[\(markets)],"surfaces":[\(surfaces)],"segments":["superfans"]},\
            "pricing":{"model":"cpm","amountMinor":450},"promotedItem":{"kind":"track","id":"\(track)"}}
            """
    }

    @Test func onlyAnAdminAssignsTracksAndTheCatalogSaysWhoHoldsThem() async throws {
        try await APIHarness.with { api in
            let manager = try await api.send(.put, "/tracks/trk-5", key: APIHarness.Key.manager, json: #"{"ownerId":"label-7"}"#)
            #expect(manager.status == 403)
            #expect(try await api.send(.get, "/tracks/trk-5", key: APIHarness.Key.auditor).problemType == "track_not_found")

            let assigned = try await api.send(.put, "/tracks/trk-5", json: #"{"ownerId":"label-7"}"#)
            #expect(assigned.status == 200, "\(assigned.body)")
            #expect(assigned.json["ownerId"] == .string("label-7"))
            #expect(assigned.eTag == "\"1\"")
            // The same owner again appends nothing.
            let before = try await api.eventCount()
            let again = try await api.send(.put, "/tracks/trk-5", json: #"{"ownerId":"label-7"}"#)
            #expect(again.status == 200)
            #expect(again.eTag == "\"1\"")
            #expect(try await api.eventCount() == before)

            let moved = try await api.send(.put, "/tracks/trk-5", json: #"{"ownerId":"label-9"}"#)
            #expect(moved.eTag == "\"2\"")
            let read = try await api.send(.get, "/tracks/trk-5", key: APIHarness.Key.auditor)
            #expect(read.json["ownerId"] == .string("label-9"))
            #expect(try await api.send(.put, "/tracks/trk-5", json: #"{"ownerId":"label-9","note":"x"}"#).problemType == "unknown_field")
        }
    }

    /// The issue's attack: a manager promoting a track that another owner holds.
    @Test func aCampaignCannotPromoteATrackItsOwnerDoesNotHold() async throws {
        try await APIHarness.with { api in
            // trk-1 is label-7's (the harness assigns it); label-9's manager tries to promote it.
            _ = try await api.send(.post, "/campaigns", key: APIHarness.Key.otherManager, json: Bodies.create("cmp-9", owner: "label-9"))
            let before = try await api.version("cmp-9")
            let refused = try await api.send(
                .post, "/campaigns/cmp-9/subcampaigns", key: APIHarness.Key.otherManager, json: Self.subcampaign("sub-1", track: "trk-1")
            )
            #expect(refused.status == 422)
            #expect(refused.problemType == "track_not_held")
            #expect(refused.problemField == "promotedItem.id")
            #expect(!refused.body.contains("label-7"), "the refusal names no other owner")
            #expect(try await api.version("cmp-9") == before)

            let unassigned = try await api.send(
                .post, "/campaigns/cmp-9/subcampaigns", key: APIHarness.Key.otherManager, json: Self.subcampaign("sub-1", track: "trk-new")
            )
            #expect(unassigned.problemType == "track_not_held")

            let bulk = try await api.send(
                .post, "/campaigns/bulk-buys", key: APIHarness.Key.otherManager,
                json: #"{"items":[\#(Bodies.create("cmp-10", owner: "label-9").dropLast()),"subcampaigns":[\#(Self.subcampaign("sub-1", track: "trk-1"))],"activate":true}]}"#
            )
            #expect(bulk.status == 422)
            #expect(bulk.body.contains("track_not_held"))
            #expect(bulk.body.contains("items[0].subcampaigns[0].promotedItem.id"))

            // Once an admin gives label-9 a track, label-9 may promote it.
            _ = try await api.send(.put, "/tracks/trk-new", json: #"{"ownerId":"label-9"}"#)
            let accepted = try await api.send(
                .post, "/campaigns/cmp-9/subcampaigns", key: APIHarness.Key.otherManager, json: Self.subcampaign("sub-1", track: "trk-new")
            )
            #expect(accepted.status == 201, "\(accepted.body)")
        }
    }

    @Test func aFlightFromTheFarPastIsRefusedAndNothingIsAppended() async throws {
        try await APIHarness.with { api in
            let before = try await api.eventCount()
            // The harness's clock is 2026-11-21T12:00:00Z; the issue's flight began in year 1.
            let body = Bodies.create("cmp-old").replacingOccurrences(of: "2026-12-01T00:00:00Z", with: "0001-01-01T00:00:00Z")
            let refused = try await api.send(.post, "/campaigns", json: body)
            #expect(refused.status == 422)
            #expect(refused.problemType == "flight_start_in_past")
            #expect(refused.problemField == "flight.start")
            #expect(try await api.eventCount() == before)
            // Within the five minutes of slack, a start just before the command is fine.
            let slack = Bodies.create("cmp-now").replacingOccurrences(of: "2026-12-01T00:00:00Z", with: "2026-11-21T11:56:00Z")
            #expect(try await api.send(.post, "/campaigns", json: slack).status == 201)
        }
    }

    @Test func aSubcampaignTargetingTooManyMarketsTimesSurfacesIsRefused() async throws {
        try await APIHarness.with { api in
            _ = try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1"))
            let markets = ["AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR", "HU", "IE", "IS", "IT",
                           "LT", "LU", "LV", "MT", "NL", "NO", "PL"]  // 26 × 6 surfaces = 156
            let surfaces = ["home", "search", "now-playing", "radio-autoplay", "library", "browse"]
            let refused = try await api.send(
                .post, "/campaigns/cmp-1/subcampaigns", json: Self.subcampaign("sub-1", track: "trk-1", markets: markets, surfaces: surfaces)
            )
            #expect(refused.status == 422)
            #expect(refused.problemType == "targeting_too_wide")
            #expect(refused.body.contains("the limit is 150"))
            let fits = try await api.send(
                .post, "/campaigns/cmp-1/subcampaigns",
                json: Self.subcampaign("sub-1", track: "trk-1", markets: Array(markets.prefix(25)), surfaces: surfaces)
            )
            #expect(fits.status == 201, "\(fits.body)")
        }
    }
}

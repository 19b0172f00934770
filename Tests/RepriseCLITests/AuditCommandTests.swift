import Foundation
import Logging
import RepriseCampaigns
import RepriseDomain
import RepriseEventStore
import RepriseTestSupport
import Testing

/// `reprise audit …` as an operator runs it: the real binary against a real database.
@Suite("reprise audit")
struct AuditCommandTests {
    /// A migrated schema holding one active campaign `cmp-1` (3 events) and the assignment
    /// of the track it promotes (1 event).
    private func withCampaign(_ body: (MigratedDatabase) async throws -> Void) async throws {
        try await MigratedDatabase.with { pool, database in
            let handler = CampaignCommandHandler(store: PostgresEventStore(pool: pool, logger: database.logger), logger: database.logger)
            let envelope = { CommandEnvelope(commandID: UUID().uuidString, correlationID: UUID(), actor: "label-7", issuedAt: "2026-11-21T12:00:00Z") }
            try await handler.tracks.assign("trk-1", to: "label-7", envelope: envelope())
            try await handler.handle(.create(CreateCampaign(
                campaignID: "cmp-1", ownerID: "label-7", name: "Winter single", objective: .reach,
                budget: Money(amountMinor: 1_000_000, currency: "EUR"),
                flight: Flight(start: "2026-12-01T00:00:00Z", end: "2026-12-31T00:00:00Z"), pacingMode: .even
            )), envelope: envelope())
            try await handler.handle(.addSubcampaign(AddSubcampaign(campaignID: "cmp-1", subcampaign: NewSubcampaign(
                id: "sub-1", targeting: Targeting(markets: ["SE"], surfaces: ["home"], segments: ["superfans"]),
                pricing: .cpm(450), shareBounds: .unbounded, promotedItem: .track("trk-1")
            ))), envelope: envelope())
            try await handler.handle(.activate("cmp-1"), envelope: envelope())
            try await body(database)
        }
    }

    @Test func verifyPassesAnIntactLogAndNamesTheFirstTamperedEvent() async throws {
        try await withCampaign { database in
            let intact = try await RepriseBinary.run(["audit", "verify", "--postgres-url", database.url])
            #expect(intact.status == 0, "\(intact.error)")
            #expect(intact.output.contains("4 event(s)"))

            let tampered = try await database.withConnection { connection in
                try await connection.query("""
                    UPDATE events SET data = jsonb_set(data, '{budget,amountMinor}', '1') WHERE stream_id = 'campaign-cmp-1' AND stream_version = 1 RETURNING event_id
                    """)[0].decode(UUID.self, at: 0)
            }
            let caught = try await RepriseBinary.run(["audit", "verify", "--postgres-url", database.url])
            #expect(caught.status == 1)
            #expect(caught.output.contains(tampered.uuidString))
            #expect(caught.output.contains("campaign-cmp-1 version 1"))
        }
    }

    @Test func historyPrintsForPeopleAndAsJSON() async throws {
        try await withCampaign { database in
            let text = try await RepriseBinary.run(["audit", "history", "cmp-1", "--postgres-url", database.url])
            #expect(text.status == 0, "\(text.error)")
            #expect(text.output.contains("campaign.created"))
            #expect(text.output.contains("campaign.activated"))

            let json = try await RepriseBinary.run(["audit", "history", "cmp-1", "--json", "--postgres-url", database.url])
            let envelopes = try JSONDecoder().decode(JSONValue.self, from: Data(json.output.utf8))
            guard case .array(let items) = envelopes else {
                Issue.record("history --json did not print an array")
                return
            }
            let schema = try JSONSchemaValidator.eventSchema("envelope.v1.json")
            #expect(items.count == 3)
            for item in items { #expect(schema.errors(in: item).isEmpty) }
        }
    }

    @Test func stateAsOfAVersionShowsTheCampaignThen() async throws {
        try await withCampaign { database in
            let draft = try await RepriseBinary.run(["audit", "state", "cmp-1", "--as-of", "v2", "--postgres-url", database.url])
            #expect(draft.status == 0, "\(draft.error)")
            #expect(draft.output.contains("version 2"))
            #expect(draft.output.contains("draft"))

            let now = try await RepriseBinary.run(["audit", "state", "cmp-1", "--json", "--postgres-url", database.url])
            #expect(now.output.contains("\"status\" : \"active\""))
        }
    }

    @Test func badInputGetsAOneLineMessageAndAFailingExit() async throws {
        try await withCampaign { database in
            let unknown = try await RepriseBinary.run(["audit", "history", "cmp-404", "--postgres-url", database.url])
            #expect(unknown.status != 0)
            #expect(unknown.error.contains("cmp-404 has no events"))
            #expect(unknown.error.split(separator: "\n").count == 1)

            let badMoment = try await RepriseBinary.run(["audit", "state", "cmp-1", "--as-of", "yesterday", "--postgres-url", database.url])
            #expect(badMoment.status != 0)
            #expect(badMoment.error.contains("--as-of 'yesterday'"))

            let badID = try await RepriseBinary.run(["audit", "history", "no spaces allowed", "--postgres-url", database.url])
            #expect(badID.status != 0)
            #expect(badID.error.split(separator: "\n").count == 1)
        }
    }
}

import Foundation
import RepriseCampaigns
import RepriseDomain
import RepriseEventLog
import RepriseTestSupport
import Testing

@Suite("Auditing: history, state as of a moment, and the hash chain")
struct AuditTests {
    @Test func historyListsEveryEventInOrder() async throws {
        try await Booking.withHandler { handler, store in
            try await Booking.activeCampaign("cmp-1", handler: handler)
            let history = try await CampaignAudit(store: store).history(of: "cmp-1")
            #expect(history.map(\.recorded.type) == ["campaign.created", "subcampaign.added", "campaign.activated"])
            #expect(history.map(\.recorded.streamVersion) == [1, 2, 3])
        }
    }

    @Test func stateAsOfAVersionATimeOrALogPosition() async throws {
        try await Booking.withHandler { handler, store in
            try await Booking.activeCampaign("cmp-1", handler: handler)
            let audit = CampaignAudit(store: store)
            let history = try await audit.history(of: "cmp-1")

            let draft = try #require(try await audit.state(of: "cmp-1", at: .version(2)))
            #expect(draft.campaign.status == .draft)
            #expect(draft.version == 2)

            let atActivation = try #require(try await audit.state(of: "cmp-1", at: .time(try Timestamp(atOrBefore: history[2].recorded.recordedAt))))
            #expect(atActivation.campaign.status == .active)

            let byPosition = try #require(try await audit.state(of: "cmp-1", at: .logPosition(history[0].recorded.cursor)))
            #expect(byPosition.version == 1)

            let before = try await audit.state(of: "cmp-1", at: .time(try Timestamp(atOrBefore: history[0].recorded.recordedAt.addingTimeInterval(-1))))
            #expect(before == nil)
        }
    }

    @Test func momentsParseFromText() throws {
        #expect(AuditMoment(parsing: "v12") == .version(12))
        #expect(AuditMoment(parsing: "7") == .version(7))
        #expect(AuditMoment(parsing: "881:42") == .logPosition(LogCursor(transactionID: 881, position: 42)))
        #expect(AuditMoment(parsing: "2026-11-21T10:00:00Z") == .time(try Timestamp(microsecondsSinceEpoch: 1_795_255_200_000_000)))
        #expect(AuditMoment(parsing: "2026-11-21T10:00:00.250Z") == .time(try Timestamp(microsecondsSinceEpoch: 1_795_255_200_250_000)))
        #expect(AuditMoment(parsing: "2026-11-21T11:00:00+01:00") == .time(try Timestamp(microsecondsSinceEpoch: 1_795_255_200_000_000)))
        #expect(AuditMoment(parsing: "2026-11-21 10:00:00") == nil)
        #expect(AuditMoment(parsing: "yesterday") == nil)
    }

    @Test func anIntactLogVerifies() async throws {
        try await Booking.withHandler { handler, store in
            try await Booking.activeCampaign("cmp-1", handler: handler)
            try await Booking.activeCampaign("cmp-2", handler: handler)
            let report = try await ChainVerifier(store: store, pageSize: 2).verify()
            #expect(report.isIntact)
            // Two campaigns of three events, and the assignment of the track they promote.
            #expect(report.eventsChecked == 7)
            #expect(report.streamsChecked == 3)
        }
    }
}

@Suite("Stored events as JSON")
struct EventEnvelopeTests {
    @Test func everyStoredEventPrintsAsAValidEnvelopeWithValidData() async throws {
        try await Booking.withHandler { handler, store in
            try await Booking.activeCampaign("cmp-1", handler: handler)
            try await handler.handle(
                .reportDelivery(ReportDelivery(campaignID: "cmp-1", report: Booking.report("rep-1"))), envelope: Booking.envelope()
            )
            let envelopeSchema = try JSONSchemaValidator.eventSchema("envelope.v1.json")
            let history = try await CampaignAudit(store: store).history(of: "cmp-1")
            #expect(history.count == 4)
            for entry in history {
                let envelope = EventEnvelope.json(entry.recorded)
                #expect(envelopeSchema.errors(in: envelope).isEmpty, "\(envelopeSchema.errors(in: envelope))")
                guard case .object(let fields) = envelope, let data = fields["data"] else {
                    Issue.record("the envelope is not an object with data")
                    continue
                }
                let dataSchema = try JSONSchemaValidator.eventSchema("\(entry.recorded.type).v\(entry.recorded.schemaVersion).json")
                #expect(dataSchema.errors(in: data).isEmpty, "\(entry.recorded.type): \(dataSchema.errors(in: data))")
            }
        }
    }
}

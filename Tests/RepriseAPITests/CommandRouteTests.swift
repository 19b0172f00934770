import HTTPTypes
import RepriseAPI
import Testing

@Suite struct CommandRouteTests {
    @Test func campaignLifecycleOverHTTP() async throws {
        try await APIHarness.with { api in
            let created = try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1"))
            #expect(created.status == 201)
            #expect(created.eTag == "\"1\"")
            #expect(created.contentType == "application/json")
            #expect(created.json["status"] == .string("draft"))

            #expect(try await api.send(.post, "/campaigns/cmp-1/subcampaigns", json: Bodies.subcampaign).status == 201)
            #expect(try await api.send(.post, "/campaigns/cmp-1/activate").status == 200)
            let budget = try await api.send(.post, "/campaigns/cmp-1/change-budget", json: #"{"budget":{"amountMinor":2000000,"currency":"EUR"}}"#)
            #expect(budget.status == 200)
            #expect(budget.json["budget"]?["amountMinor"] == .integer(2_000_000))
            let flight = try await api.send(
                .post, "/campaigns/cmp-1/change-flight", json: #"{"flight":{"start":"2026-12-01T00:00:00Z","end":"2027-01-31T00:00:00Z"}}"#
            )
            #expect(flight.status == 200)
            #expect(try await api.send(.post, "/campaigns/cmp-1/pause", json: "{}").status == 200)
            #expect(try await api.send(.post, "/campaigns/cmp-1/resume").status == 200)

            let subcampaign = "/campaigns/cmp-1/subcampaigns/sub-1"
            #expect(try await api.send(
                .post, "\(subcampaign)/change-targeting", json: #"{"targeting":{"markets":["SE"],"surfaces":["home"],"segments":["superfans"]}}"#
            ).status == 200)
            #expect(try await api.send(.post, "\(subcampaign)/change-price", json: #"{"pricing":{"model":"cpc","amountMinor":30}}"#).status == 200)
            try await api.send(
                .post, "\(subcampaign)/change-budget-bounds", json: #"{"shareBounds":{"minimumBasisPoints":100,"maximumBasisPoints":5000}}"#
            ).expectStatus(200)
            #expect(try await api.send(.post, "\(subcampaign)/pause").status == 200)
            #expect(try await api.send(.post, "\(subcampaign)/resume").status == 200)

            let report = try await api.send(.post, "/campaigns/cmp-1/delivery-reports", key: APIHarness.Key.reporter, json: Bodies.report("rep-1"))
            #expect(report.status == 201)
            #expect(report.json["spent"]?["amountMinor"] == .integer(1_000))

            #expect(try await api.send(.post, "/campaigns/cmp-1/subcampaigns", json: Bodies.subcampaign.replacingOccurrences(of: "sub-1", with: "sub-2")).status == 201)
            #expect(try await api.send(.post, "/campaigns/cmp-1/subcampaigns/sub-2/remove").status == 200)
            let cancelled = try await api.send(.post, "/campaigns/cmp-1/cancel")
            #expect(cancelled.status == 200)
            #expect(cancelled.json["status"] == .string("cancelled"))
            let version = try await api.version("cmp-1")
            #expect(cancelled.eTag == "\"\(version)\"")
        }
    }

    @Test func readsACampaignItsHistoryAndItsPast() async throws {
        try await APIHarness.with { api in
            try await api.activeCampaign("cmp-1")
            let campaign = try await api.send(.get, "/campaigns/cmp-1", key: APIHarness.Key.auditor)
            #expect(campaign.status == 200)
            #expect(campaign.eTag == "\"3\"")
            #expect(campaign.json["status"] == .string("active"))
            #expect(campaign.json["subcampaigns"].flatMap { if case .array(let items) = $0 { items.count } else { nil } } == 1)

            let history = try await api.send(.get, "/campaigns/cmp-1/history", key: APIHarness.Key.auditor)
            #expect(history.status == 200)
            guard case .array(let events) = history.json["events"] else { Issue.record("no events"); return }
            #expect(events.count == 3)
            #expect(events.first?["type"] == .string("campaign.created"))
            #expect(events.first?["actor"] == .string("api-key:" + String(APIKeyringHash.admin.prefix(12))))

            let past = try await api.send(.get, "/campaigns/cmp-1/state?asOf=v1", key: APIHarness.Key.auditor)
            #expect(past.status == 200)
            #expect(past.eTag == "\"1\"")
            #expect(past.json["status"] == .string("draft"))
            let beforeTime = try await api.send(.get, "/campaigns/cmp-1/state?asOf=2000-01-01T00:00:00Z", key: APIHarness.Key.auditor)
            #expect(beforeTime.status == 404)
            let badMoment = try await api.send(.get, "/campaigns/cmp-1/state?asOf=yesterday", key: APIHarness.Key.auditor)
            #expect(badMoment.status == 400)
            #expect(badMoment.problemField == "asOf")

            #expect(try await api.send(.get, "/campaigns/cmp-404").status == 404)
        }
    }

    @Test func bulkBuyBooksAllOrNothing() async throws {
        try await APIHarness.with { api in
            let item = { (id: String) in
                Bodies.create(id).dropLast() + #","subcampaigns":[\#(Bodies.subcampaign)],"activate":true}"#
            }
            let refused = try await api.send(
                .post, "/campaigns/bulk-buys",
                json: #"{"items":[\#(item("cmp-a")),\#(Bodies.create("cmp-b", budget: "0")),\#(item("cmp-a"))]}"#
            )
            #expect(refused.status == 422)
            #expect(refused.problemType == "bulk_rejected")
            guard case .array(let errors) = refused.json["errors"] else { Issue.record("no errors"); return }
            #expect(errors.count == 2)
            #expect(errors.first?["index"] == .integer(1))
            #expect(errors.first?["field"] == .string("items[1].budget.amountMinor"))
            #expect(errors.first?["type"] == .string("https://reprise.dev/problems/budget_not_positive"))
            #expect(try await api.version("cmp-a") == 0)

            let booked = try await api.send(.post, "/campaigns/bulk-buys", json: #"{"items":[\#(item("cmp-a")),\#(item("cmp-b"))]}"#)
            #expect(booked.status == 201)
            #expect(try await api.version("cmp-a") == 3)
            #expect(try await api.version("cmp-b") == 3)
        }
    }

    @Test func theCorrelationIDIsStoredOnTheEventsAndEchoed() async throws {
        try await APIHarness.with { api in
            let correlation = "5f0c6a52-6a8e-4d55-9f0e-3f1f2b0d7c11"
            let created = try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1"), headers: ["X-Correlation-ID": correlation])
            #expect(created.headers[.correlationID] == correlation)
            let history = try await api.send(.get, "/campaigns/cmp-1/history")
            guard case .array(let events) = history.json["events"] else { Issue.record("no events"); return }
            #expect(events.first?["correlationId"] == .string(correlation))
        }
    }

    @Test func metricsCountRequestsAppendsAndConflicts() async throws {
        try await APIHarness.with { api in
            try await api.activeCampaign("cmp-1")
            _ = try await api.send(.post, "/campaigns/cmp-1/pause", headers: ["If-Match": "\"1\""])
            let metrics = try await api.send(.get, "/metrics", key: nil)
            #expect(metrics.status == 200)
            #expect(metrics.contentType?.hasPrefix("text/plain") == true)
            #expect(metrics.body.contains(#"reprise_http_requests_total{method="POST",route="/campaigns",status="201"} 1"#), "\(metrics.body)")
            #expect(metrics.body.contains("reprise_api_events_appended_total 3"))
            #expect(metrics.body.contains(#"reprise_api_conflicts_total{kind="version_mismatch"} 1"#))
            #expect(metrics.body.contains("reprise_http_request_duration_seconds_bucket"))
        }
    }

    @Test func healthProbesNeedNoKey() async throws {
        try await APIHarness.with { api in
            #expect(try await api.send(.get, "/health/live", key: nil).status == 200)
            let ready = try await api.send(.get, "/health/ready", key: nil)
            #expect(ready.status == 200)
            #expect(ready.json["status"] == .string("ready"))
        }
    }
}

enum APIKeyringHash {
    static let admin = APIKeyring.hash(APIHarness.Key.admin)
}

extension HTTPField.Name {
    static let correlationID = HTTPField.Name("X-Correlation-ID")!
}

import Testing

/// Every malformed or refused request is a 4xx problem document and appends nothing.
@Suite struct ProblemTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let path: String
        let json: String?
        var headers: [String: String] = [:]
        let status: Int
        let type: String
        var field: String? = nil
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "malformed JSON", path: "/campaigns/cmp-1/change-budget", json: #"{"budget": "#, status: 400, type: "malformed_json"),
        Case(
            name: "wrong type", path: "/campaigns/cmp-1/change-budget", json: #"{"budget":{"amountMinor":"ten","currency":"EUR"}}"#,
            status: 400, type: "wrong_type", field: "budget.amountMinor"
        ),
        Case(name: "missing member", path: "/campaigns/cmp-1/change-budget", json: #"{"budget":{"currency":"EUR"}}"#,
             status: 400, type: "missing_field", field: "budget.amountMinor"),
        Case(name: "unknown member", path: "/campaigns/cmp-1/change-budget",
             json: #"{"budget":{"amountMinor":5,"currency":"EUR","tax":1}}"#, status: 400, type: "unknown_field", field: "budget.tax"),
        Case(name: "number beyond 64 bits", path: "/campaigns/cmp-1/change-budget",
             json: #"{"budget":{"amountMinor":99999999999999999999,"currency":"EUR"}}"#, status: 400, type: "out_of_range", field: "budget.amountMinor"),
        Case(name: "basis points out of range", path: "/campaigns/cmp-1/subcampaigns/sub-1/change-budget-bounds",
             json: #"{"shareBounds":{"minimumBasisPoints":10001}}"#, status: 400, type: "out_of_range", field: "shareBounds.minimumBasisPoints"),
        Case(name: "fractional integer", path: "/campaigns/cmp-1/change-budget",
             json: #"{"budget":{"amountMinor":1.5,"currency":"EUR"}}"#, status: 400, type: "wrong_type", field: "budget.amountMinor"),
        Case(name: "body to an action that takes none", path: "/campaigns/cmp-1/pause", json: #"{"now":true}"#,
             status: 400, type: "unknown_field", field: "now"),
        Case(name: "no body where one is needed", path: "/campaigns/cmp-1/change-budget", json: nil, status: 400, type: "malformed_json"),
        Case(name: "unsupported media type", path: "/campaigns/cmp-1/change-budget", json: #"budget=5"#,
             headers: ["Content-Type": "application/x-www-form-urlencoded"], status: 415, type: "unsupported_media_type", field: "Content-Type"),
        Case(name: "oversized body", path: "/campaigns/cmp-1/change-budget",
             json: #"{"budget":{"amountMinor":5,"currency":"EUR"},"pad":""# + String(repeating: "x", count: APIHarness.bodyLimit) + #""}"#,
             status: 413, type: "body_too_large"),
        Case(name: "domain rule", path: "/campaigns/cmp-1/change-budget", json: #"{"budget":{"amountMinor":0,"currency":"EUR"}}"#,
             status: 422, type: "budget_not_positive", field: "budget.amountMinor"),
        Case(name: "domain value check", path: "/campaigns/cmp-1/change-flight",
             json: #"{"flight":{"start":"2026-12-01","end":"2026-12-31T00:00:00Z"}}"#, status: 422, type: "invalid_value", field: "flight.start"),
        Case(name: "unknown subcampaign", path: "/campaigns/cmp-1/subcampaigns/sub-9/pause", json: nil, status: 404, type: "subcampaign_not_found",
             field: "subcampaignId"),
        Case(name: "state clash", path: "/campaigns/cmp-1/activate", json: nil, status: 409, type: "invalid_status_transition"),
        Case(name: "bad path id", path: "/campaigns/-bad-/pause", json: nil, status: 400, type: "invalid_parameter", field: "campaignId"),
        Case(name: "bad idempotency key", path: "/campaigns/cmp-1/pause", json: nil, headers: ["Idempotency-Key": "has space"],
             status: 400, type: "invalid_header", field: "Idempotency-Key"),
        Case(name: "no such route", path: "/campaigns/cmp-1/explode", json: nil, status: 404, type: "not_found"),
    ]

    @Test(arguments: cases)
    func isAProblemAndAppendsNothing(_ test: Case) async throws {
        try await APIHarness.with { api in
            try await api.activeCampaign("cmp-1")
            var headers = test.headers
            if test.json != nil, headers["Content-Type"] == nil { headers["Content-Type"] = "application/json" }
            let reply = try await api.send(.post, test.path, json: test.json, headers: headers)
            #expect(reply.status == test.status)
            #expect(reply.contentType == "application/problem+json")
            #expect(reply.problemType == test.type)
            #expect(reply.problemField == test.field)
            #expect(reply.json["status"] == .integer(Int64(test.status)))
            #expect(reply.json["title"] != nil && reply.json["detail"] != nil)
            #expect(try await api.version("cmp-1") == 3)
        }
    }
}

import HTTPTypes
import RepriseAPI
import RepriseDomain
import Testing

/// What a stock HTTP client or an OpenAPI tester relies on: percent-encoded paths, 405 with
/// `Allow`, and headers checked in the documented order.
@Suite struct HTTPSemanticsTests {
    @Test func pathParametersArePercentDecoded() async throws {
        try await APIHarness.with { api in
            try await api.send(.post, "/campaigns", json: Bodies.create("j-:")).expectStatus(201)
            let read = try await api.send(.get, "/campaigns/j-%3A")
            read.expectStatus(200)
            #expect(read.json["id"] == .string("j-:"))
            try await api.send(.post, "/campaigns/j%2D%3a/subcampaigns", json: Bodies.subcampaign).expectStatus(201)
            try await api.send(.post, "/campaigns/j-:/subcampaigns/sub%2D1/pause").expectStatus(200)
            try await api.send(.get, "/campaigns/j-%3A/state?asOf=v3").expectStatus(200)

            // Not UTF-8 once decoded, or not an id: the parameter is named.
            for path in ["/campaigns/j-%FF", "/campaigns/j-%2", "/campaigns/a%2Fb"] {
                let reply = try await api.send(.get, path)
                reply.expectStatus(400)
                #expect(reply.problemType == "invalid_parameter")
                #expect(reply.problemField == "campaignId")
            }
        }
    }

    @Test func aKnownPathAnswers405WithAllowForOtherMethods() async throws {
        try await APIHarness.with { api in
            let cases: [(HTTPRequest.Method, String, String)] = [
                (.delete, "/campaigns", "GET, POST"),
                (.put, "/campaigns/cmp-1", "GET"),
                (.post, "/campaigns/cmp-1", "GET"),
                (.get, "/campaigns/cmp-1/pause", "POST"),
                (.patch, "/campaigns/cmp-1/subcampaigns/sub-1/change-price", "POST"),
                // A literal segment wins, as in the router: this is not the campaign "bulk-buys".
                (.get, "/campaigns/bulk-buys", "POST"),
                (.put, "/health/live", "GET"),
            ]
            for (method, path, allow) in cases {
                // Routing comes before the key: an anonymous caller gets the same 405.
                for key in [APIHarness.Key.admin, nil] {
                    let reply = try await api.send(method, path, key: key)
                    #expect(reply.status == 405, "\(method) \(path): \(reply.status)")
                    #expect(reply.headers[.allow] == allow, "\(method) \(path)")
                    #expect(reply.problemType == "method_not_allowed")
                    #expect(reply.contentType == "application/problem+json")
                }
            }
            try await api.send(.get, "/campaigns/cmp-1/nothing-here").expectStatus(404)
            try await api.send(.delete, "/nothing").expectStatus(404)
        }
    }

    /// A malformed `If-Match` is 400 before the body is read; a well-formed stale one is
    /// 412 only once the body was found valid.
    @Test func ifMatchIsCheckedForShapeBeforeTheBodyAndForVersionAfterIt() async throws {
        try await APIHarness.with { api in
            try await api.activeCampaign("cmp-1")
            let badBody = #"{"budget":{"amountMinor":"ten","currency":"EUR"}}"#
            let goodBody = #"{"budget":{"amountMinor":2000000,"currency":"EUR"}}"#
            for malformed in ["3", "W/\"3\"", "\"v-four\"", "\"1\", \"2\"", "\"\"", ""] {
                let reply = try await api.send(.post, "/campaigns/cmp-1/change-budget", json: badBody, headers: ["If-Match": malformed])
                #expect(reply.status == 400, "If-Match '\(malformed)': \(reply.body)")
                #expect(reply.problemType == "invalid_header")
                #expect(reply.problemField == "If-Match")
            }
            let staleWithBadBody = try await api.send(.post, "/campaigns/cmp-1/change-budget", json: badBody, headers: ["If-Match": "\"2\""])
            staleWithBadBody.expectStatus(400)
            #expect(staleWithBadBody.problemField == "budget.amountMinor")
            let stale = try await api.send(.post, "/campaigns/cmp-1/change-budget", json: goodBody, headers: ["If-Match": "\"2\""])
            stale.expectStatus(412)
            try await api.send(.post, "/campaigns/cmp-1/change-budget", json: goodBody, headers: ["If-Match": "*"]).expectStatus(200)
            let another = #"{"budget":{"amountMinor":3000000,"currency":"EUR"}}"#
            try await api.send(.post, "/campaigns/cmp-1/change-budget", json: another, headers: ["If-Match": "\"4\""]).expectStatus(200)
            #expect(try await api.version("cmp-1") == 5)
        }
    }

    /// `X-Correlation-ID` is a UUID, as documented; anything else is refused once the key is
    /// known. Probes ignore it.
    @Test func correlationIDsMustBeUUIDs() async throws {
        try await APIHarness.with { api in
            for bad in ["trace-1", "5f0c6a526a8e4d559f0e3f1f2b0d7c11", "{5f0c6a52-6a8e-4d55-9f0e-3f1f2b0d7c11}", "5f0c6a52-6a8e-4d55-9f0e-3f1f2b0d7c1"] {
                let reply = try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1"), headers: ["X-Correlation-ID": bad])
                #expect(reply.status == 400, "\(bad): \(reply.body)")
                #expect(reply.problemField == "X-Correlation-ID")
                #expect(try await api.send(.get, "/campaigns", key: nil, headers: ["X-Correlation-ID": bad]).status == 401)
                #expect(try await api.send(.get, "/health/live", key: nil, headers: ["X-Correlation-ID": bad]).status == 200)
            }
            #expect(try await api.eventCount() == 0)
            let upper = "5F0C6A52-6A8E-4D55-9F0E-3F1F2B0D7C11"
            let created = try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1"), headers: ["X-Correlation-ID": upper])
            created.expectStatus(201)
            #expect(created.headers[HTTPField.Name("X-Correlation-ID")!] == upper.lowercased())
        }
    }

    /// The documented order: key (401), X-Correlation-ID (400), role (403), parameters (400).
    @Test func checksComeInTheDocumentedOrder() async throws {
        try await APIHarness.with { api in
            let badID = "/campaigns/-x/subcampaigns/-y/pause"
            let badCorrelation = ["X-Correlation-ID": "not-a-uuid"]
            let anonymous = try await api.send(.post, badID, key: nil, headers: badCorrelation)
            #expect(anonymous.status == 401)
            let correlation = try await api.send(.post, badID, key: APIHarness.Key.reporter, headers: badCorrelation)
            #expect(correlation.problemField == "X-Correlation-ID")
            let role = try await api.send(.post, badID, key: APIHarness.Key.reporter)
            #expect(role.status == 403)
            let campaignParameter = try await api.send(.post, badID, headers: ["If-Match": "x"])
            #expect(campaignParameter.problemField == "campaignId")
            let subcampaignParameter = try await api.send(.post, "/campaigns/cmp-1/subcampaigns/-y/pause", headers: ["If-Match": "x"])
            #expect(subcampaignParameter.problemField == "subcampaignId")
            let header = try await api.send(.post, "/campaigns/cmp-1/pause", json: "[", headers: ["If-Match": "x"])
            #expect(header.problemField == "If-Match")
        }
    }

    /// `asOf` takes exactly the documented forms.
    @Test func asOfTakesExactlyTheDocumentedForms() async throws {
        try await APIHarness.with { api in
            try await api.activeCampaign("cmp-1")
            for good in ["v2", "2026-11-21T12:00:00Z", "2026-11-21T13:00:00.5%2B01:00", "99999999:1"] {
                let reply = try await api.send(.get, "/campaigns/cmp-1/state?asOf=\(good)")
                #expect([200, 404].contains(reply.status), "\(good): \(reply.body)")
            }
            for bad in ["2", "%20v2", "v-2", "2026-11-21", "2026-11-21T12:00:00", "0000-01-01T00:00:00Z", "1:2:3"] {
                let reply = try await api.send(.get, "/campaigns/cmp-1/state?asOf=\(bad)")
                #expect(reply.status == 400, "\(bad): \(reply.body)")
            }
            // Well formed, but no such day: a rule, 422, as for a timestamp in a body.
            let noSuchDay = try await api.send(.get, "/campaigns/cmp-1/state?asOf=1400-06-31T20:11:30Z")
            noSuchDay.expectStatus(422)
            #expect(noSuchDay.problemField == "asOf")
        }
    }
}

import HTTPTypes
import RepriseAPI
import Testing

/// Each role against each endpoint: 401 without a good key, 403 for the wrong role or owner.
@Suite struct AccessTests {
    enum Access: Sendable { case command, deliveryReport, read, scores, assignTrack }

    struct Endpoint: Sendable {
        let method: HTTPRequest.Method
        /// The template, as registered.
        let route: String
        let access: Access
        let json: String?

        /// The route on `cmp-1` and `sub-1`.
        var path: String {
            route.replacingOccurrences(of: "{campaignId}", with: "cmp-1").replacingOccurrences(of: "{subcampaignId}", with: "sub-1")
                .replacingOccurrences(of: "{trackId}", with: "trk-1")
                .replacingOccurrences(of: "{market}", with: "SE").replacingOccurrences(of: "{from}", with: "2026-12-24T23:00:00Z")
                + (route.hasSuffix("/state") ? "?asOf=v1" : "") + (method == .get && route == "/campaigns" ? "?ownerId=label-7" : "")
                + (route == "/scores" ? "?market=SE&surface=home" : "")
        }
    }

    static let endpoints: [Endpoint] = [
        Endpoint(method: .post, route: "/campaigns", access: .command, json: Bodies.create("cmp-new")),
        Endpoint(method: .post, route: "/campaigns/bulk-buys", access: .command, json: #"{"items":[\#(Bodies.create("cmp-bulk"))]}"#),
        Endpoint(method: .get, route: "/campaigns", access: .read, json: nil),
        Endpoint(method: .get, route: "/campaigns/{campaignId}", access: .read, json: nil),
        Endpoint(method: .get, route: "/campaigns/{campaignId}/history", access: .read, json: nil),
        Endpoint(method: .get, route: "/campaigns/{campaignId}/delivery-reports", access: .read, json: nil),
        Endpoint(method: .get, route: "/campaigns/{campaignId}/state", access: .read, json: nil),
        Endpoint(method: .post, route: "/campaigns/{campaignId}/change-budget", access: .command,
                 json: #"{"budget":{"amountMinor":2000000,"currency":"EUR"}}"#),
        Endpoint(method: .post, route: "/campaigns/{campaignId}/change-flight", access: .command,
                 json: #"{"flight":{"start":"2026-12-01T00:00:00Z","end":"2027-01-31T00:00:00Z"}}"#),
        Endpoint(method: .post, route: "/campaigns/{campaignId}/activate", access: .command, json: nil),
        Endpoint(method: .post, route: "/campaigns/{campaignId}/pause", access: .command, json: nil),
        Endpoint(method: .post, route: "/campaigns/{campaignId}/resume", access: .command, json: nil),
        Endpoint(method: .post, route: "/campaigns/{campaignId}/cancel", access: .command, json: nil),
        Endpoint(method: .post, route: "/campaigns/{campaignId}/subcampaigns", access: .command,
                 json: Bodies.subcampaign.replacingOccurrences(of: "sub-1", with: "sub-2")),
        Endpoint(method: .post, route: "/campaigns/{campaignId}/subcampaigns/{subcampaignId}/change-targeting", access: .command,
                 json: #"{"targeting":{"markets":["SE"],"surfaces":["home"],"segments":["superfans"]}}"#),
        Endpoint(method: .post, route: "/campaigns/{campaignId}/subcampaigns/{subcampaignId}/change-price", access: .command,
                 json: #"{"pricing":{"model":"cpc","amountMinor":30}}"#),
        Endpoint(method: .post, route: "/campaigns/{campaignId}/subcampaigns/{subcampaignId}/change-budget-bounds", access: .command,
                 json: #"{"shareBounds":{"maximumBasisPoints":5000}}"#),
        Endpoint(method: .post, route: "/campaigns/{campaignId}/subcampaigns/{subcampaignId}/pause", access: .command, json: nil),
        Endpoint(method: .post, route: "/campaigns/{campaignId}/subcampaigns/{subcampaignId}/resume", access: .command, json: nil),
        Endpoint(method: .post, route: "/campaigns/{campaignId}/subcampaigns/{subcampaignId}/remove", access: .command, json: nil),
        Endpoint(method: .post, route: "/campaigns/{campaignId}/delivery-reports", access: .deliveryReport, json: Bodies.report("rep-1")),
        Endpoint(method: .get, route: "/scores", access: .scores, json: nil),
        Endpoint(method: .put, route: "/tracks/{trackId}", access: .assignTrack, json: #"{"ownerId":"label-7"}"#),
        // Who holds a track is for the same eyes as the scores: admins and auditors.
        Endpoint(method: .get, route: "/tracks/{trackId}", access: .scores, json: nil),
        // The holiday calendar: admins declare, admins and auditors read.
        Endpoint(method: .put, route: "/calendar/{market}/holidays/{from}", access: .assignTrack,
                 json: #"{"to":"2026-12-25T23:00:00Z","name":"Juldagen"}"#),
        Endpoint(method: .get, route: "/calendar/{market}/holidays", access: .scores, json: nil),
    ]

    struct Caller: Sendable, CustomStringConvertible {
        let name: String
        let key: String?
        /// nil: 401 everywhere.
        let allowed: Set<AccessKind>?
        var description: String { name }
    }

    enum AccessKind: Sendable { case command, deliveryReport, read, scores, assignTrack }

    static let callers: [Caller] = [
        Caller(name: "no key", key: nil, allowed: nil),
        Caller(name: "unknown key", key: "not-a-key", allowed: nil),
        Caller(name: "admin", key: APIHarness.Key.admin, allowed: [.command, .deliveryReport, .read, .scores, .assignTrack]),
        Caller(name: "manager of label-7", key: APIHarness.Key.manager, allowed: [.command, .read]),
        Caller(name: "manager of label-9", key: APIHarness.Key.otherManager, allowed: []),
        Caller(name: "delivery reporter", key: APIHarness.Key.reporter, allowed: [.deliveryReport]),
        Caller(name: "auditor", key: APIHarness.Key.auditor, allowed: [.read, .scores]),
    ]

    @Test(arguments: callers)
    func eachRoleAgainstEachEndpoint(_ caller: Caller) async throws {
        try await APIHarness.with { api in
            #expect(Set(Self.endpoints.map { "\($0.method.rawValue) \($0.route)" }) == Set(api.routes.filter { !["/health/live", "/health/ready", "/metrics"].contains($0.path) }.map(\.description)))
            try await api.activeCampaign("cmp-1")
            for endpoint in Self.endpoints {
                let reply = try await api.send(endpoint.method, endpoint.path, key: caller.key, json: endpoint.json)
                let kind: AccessKind = switch endpoint.access {
                case .command: .command
                case .deliveryReport: .deliveryReport
                case .read: .read
                case .scores: .scores
                case .assignTrack: .assignTrack
                }
                guard let allowed = caller.allowed else {
                    #expect(reply.status == 401, "\(endpoint.method) \(endpoint.path)")
                    #expect(reply.headers[.wwwAuthenticate] != nil)
                    continue
                }
                if allowed.contains(kind) {
                    // Allowed: whatever the domain says, it is not about access, and never a 500.
                    #expect(![401, 403].contains(reply.status) && reply.status < 500, "\(endpoint.method) \(endpoint.path): \(reply.body)")
                } else {
                    #expect(reply.status == 403, "\(endpoint.method) \(endpoint.path): \(reply.body)")
                    #expect(reply.problemType == "forbidden")
                }
            }
        }
    }

    @Test func aManagerCannotBookForAnotherOwner() async throws {
        try await APIHarness.with { api in
            let reply = try await api.send(.post, "/campaigns", key: APIHarness.Key.manager, json: Bodies.create("cmp-x", owner: "label-9"))
            #expect(reply.status == 403)
            #expect(try await api.version("cmp-x") == 0)
            let mine = try await api.send(.post, "/campaigns", key: APIHarness.Key.otherManager, json: Bodies.create("cmp-x", owner: "label-9"))
            #expect(mine.status == 201)
        }
    }
}

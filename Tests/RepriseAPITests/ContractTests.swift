import Foundation
import HTTPTypes
import RepriseAPI
import RepriseDomain
import RepriseTestSupport
import Testing

/// The server and `schemas/openapi.yaml` describe the same API: the same routes, and the
/// bodies the server sends and takes are the ones the document's schemas describe.
@Suite struct ContractTests {
    @Test func everyRegisteredRouteIsDocumentedAndNoOther() async throws {
        let documented = try OpenAPIContract.load().routes
        try await APIHarness.with { api in
            let registered = Set(api.routes.map(\.description))
            #expect(registered == documented, "only registered: \(registered.subtracting(documented)); only documented: \(documented.subtracting(registered))")
            #expect(registered.count == api.routes.count)
        }
    }

    /// Every route is called at least once with success, and the problems a client can
    /// meet are provoked; each answer's body must match the schema the document gives for
    /// its route, status and media type, and each request body sent to succeed must match
    /// the operation's request schema.
    @Test func responseAndRequestBodiesMatchTheDocumentedSchemas() async throws {
        let contract = try OpenAPIContract.load()
        try await APIHarness.with { api in
            var exchange = ContractExchange(api: api, contract: contract)
            let budget = #"{"budget":{"amountMinor":2000000,"currency":"EUR"}}"#

            try await exchange.check(.get, "/health/live", key: nil, status: 200)
            try await exchange.check(.get, "/health/ready", key: nil, status: 200)
            try await exchange.check(.post, "/campaigns", json: Bodies.create("cmp-1"), status: 201)
            try await exchange.check(.post, "/campaigns/cmp-1/subcampaigns", json: Bodies.subcampaign, status: 201)
            try await exchange.check(
                .post, "/campaigns/cmp-1/subcampaigns/sub-1/change-targeting",
                json: #"{"targeting":{"markets":["SE"],"surfaces":["home"],"segments":["superfans"]}}"#, status: 200
            )
            try await exchange.check(
                .post, "/campaigns/cmp-1/subcampaigns/sub-1/change-price", json: #"{"pricing":{"model":"cpc","amountMinor":30}}"#, status: 200
            )
            try await exchange.check(
                .post, "/campaigns/cmp-1/subcampaigns/sub-1/change-budget-bounds",
                json: #"{"shareBounds":{"minimumBasisPoints":1000,"maximumBasisPoints":9000}}"#, status: 200
            )
            try await exchange.check(.post, "/campaigns/cmp-1/subcampaigns/sub-1/pause", status: 200)
            try await exchange.check(.post, "/campaigns/cmp-1/subcampaigns/sub-1/resume", json: "{}", status: 200)
            try await exchange.check(.post, "/campaigns/cmp-1/activate", status: 200)
            try await exchange.check(.post, "/campaigns/cmp-1/change-budget", json: budget, status: 200)
            try await exchange.check(
                .post, "/campaigns/cmp-1/change-flight",
                json: #"{"flight":{"start":"2026-12-01T00:00:00Z","end":"2027-01-31T00:00:00Z"}}"#, status: 200
            )
            try await exchange.check(.post, "/campaigns/cmp-1/delivery-reports", key: APIHarness.Key.reporter, json: Bodies.report("r-1"), status: 201)
            try await exchange.check(.post, "/campaigns/cmp-1/pause", status: 200)
            try await exchange.check(.post, "/campaigns/cmp-1/resume", status: 200)
            try await exchange.check(.get, "/campaigns/cmp-1", status: 200)
            try await exchange.check(.get, "/campaigns/cmp-1/history", key: APIHarness.Key.auditor, status: 200)
            try await exchange.check(.get, "/campaigns/cmp-1/history?after=2&limit=3", key: APIHarness.Key.auditor, status: 200)
            try await exchange.check(.get, "/campaigns/cmp-1/delivery-reports?limit=1", key: APIHarness.Key.auditor, status: 200)
            try await exchange.check(.get, "/campaigns/cmp-1/state?asOf=v2", status: 200)

            let bulkItem = { (id: String) in
                Bodies.create(id).dropLast() + #","subcampaigns":[\#(Bodies.subcampaign)],"activate":true}"#
            }
            try await exchange.check(.post, "/campaigns/bulk-buys", json: #"{"items":[\#(bulkItem("cmp-2")),\#(bulkItem("cmp-3"))]}"#, status: 201)
            try await exchange.check(.get, "/campaigns?limit=2", status: 200)
            try await exchange.check(.get, "/campaigns?ownerId=label-7&status=active&after=cmp-2", key: APIHarness.Key.manager, status: 200)
            try await exchange.check(
                .post, "/campaigns/cmp-2/subcampaigns",
                json: #"{"id":"sub-2","targeting":{"markets":["SE"],"surfaces":["home"],"segments":["superfans"]},"pricing":{"model":"cpm","amountMinor":100},"shareBounds":{"maximumBasisPoints":5000},"promotedItem":{"kind":"creative","id":"cr-1"}}"#,
                status: 201
            )
            try await exchange.check(.post, "/campaigns/cmp-2/subcampaigns/sub-2/remove", status: 200)
            try await exchange.check(.post, "/campaigns/cmp-3/cancel", status: 200)
            try await exchange.check(.get, "/metrics", key: nil, status: 200)
            try await exchange.check(.get, "/scores?market=SE&surface=home", key: APIHarness.Key.auditor, status: 200)
            try await exchange.check(.get, "/scores?market=XX&surface=home", status: 400)
            try await exchange.check(.put, "/tracks/trk-9", json: #"{"ownerId":"label-9"}"#, status: 200)
            try await exchange.check(.get, "/tracks/trk-9", key: APIHarness.Key.auditor, status: 200)
            try await exchange.check(.get, "/tracks/trk-404", status: 404)
            try await exchange.check(.put, "/calendar/SE/holidays/2026-12-24T23:00:00Z", json: #"{"to":"2026-12-25T23:00:00Z","name":"Juldagen"}"#, status: 201)
            try await exchange.check(.put, "/calendar/SE/holidays/2026-12-24T23:00:00Z", json: #"{"to":"2026-12-25T23:00:00Z","name":"Juldagen"}"#, status: 200)
            try await exchange.check(.get, "/calendar/SE/holidays", key: APIHarness.Key.auditor, status: 200)
            try await exchange.check(
                .post, "/campaigns/cmp-1/subcampaigns",
                json: #"{"id":"sub-9","targeting":{"markets":["SE"],"surfaces":["home"],"segments":["superfans"]},"pricing":{"model":"cpm","amountMinor":450},"promotedItem":{"kind":"track","id":"trk-9"}}"#,
                status: 422
            )

            // Problems, each through a documented route where there is one.
            try await exchange.check(.post, "/campaigns/cmp-1/change-budget", json: #"{"budget": "#, status: 400, sendsInvalidBody: true)
            try await exchange.check(.post, "/campaigns/cmp-1/change-budget", json: #"{"budget":{"currency":"EUR"}}"#, status: 400, sendsInvalidBody: true)
            try await exchange.check(.get, "/campaigns/cmp-1", key: nil, status: 401)
            try await exchange.check(.post, "/campaigns/cmp-1/change-budget", key: APIHarness.Key.reporter, json: budget, status: 403)
            try await exchange.check(.get, "/campaigns/cmp-404", status: 404)
            try await exchange.check(.get, "/campaigns/cmp-1/nothing-here", status: 404)
            try await exchange.check(.post, "/campaigns/cmp-1/activate", status: 409)
            try await exchange.check(.post, "/campaigns/cmp-1/change-budget", json: budget, headers: ["If-Match": "\"1\""], status: 412)
            try await exchange.check(
                .post, "/campaigns/cmp-1/change-budget",
                json: #"{"budget":{"amountMinor":5,"currency":"EUR"},"pad":""# + String(repeating: "x", count: APIHarness.bodyLimit) + #""}"#,
                status: 413, sendsInvalidBody: true
            )
            try await exchange.check(
                .post, "/campaigns/cmp-1/change-budget", json: "budget=5", headers: ["Content-Type": "text/plain"], status: 415,
                sendsInvalidBody: true
            )
            // The document refuses a budget of 0 too (minimum 1); the server with the rule's type.
            try await exchange.check(
                .post, "/campaigns/cmp-1/change-budget", json: #"{"budget":{"amountMinor":0,"currency":"EUR"}}"#, status: 422, sendsInvalidBody: true
            )
            try await exchange.check(
                .post, "/campaigns/bulk-buys", json: #"{"items":[\#(Bodies.create("cmp-4", budget: "0"))]}"#, status: 422, sendsInvalidBody: true
            )
            let key = ["Idempotency-Key": "contract-key"]
            try await exchange.check(.post, "/campaigns/cmp-1/change-budget", json: budget, headers: key, status: 200)
            try await exchange.check(
                .post, "/campaigns/cmp-1/change-budget", json: #"{"budget":{"amountMinor":3000000,"currency":"EUR"}}"#, headers: key, status: 422
            )

            let succeeded = exchange.operationsAnsweredWithSuccess
            #expect(succeeded == contract.routes, "routes never answered with success here: \(contract.routes.subtracting(succeeded))")
        }
    }

    /// The valid request bodies the tests send match the request schemas, and the ones the
    /// server refuses for their shape do not: the document is no looser and no stricter.
    @Test func requestSchemasAgreeWithTheServerOnShape() throws {
        let contract = try OpenAPIContract.load()
        let valid: [(String, String)] = [
            ("POST /campaigns", Bodies.create("cmp-1")),
            ("POST /campaigns/{campaignId}/subcampaigns", Bodies.subcampaign),
            ("POST /campaigns/{campaignId}/delivery-reports", Bodies.report("r-1")),
            ("POST /campaigns/{campaignId}/pause", "{}"),
        ]
        for (route, body) in valid {
            #expect(try contract.requestErrors(route, body: JSONValue.parse(body)) == [], "\(route)")
        }
        let refusedForShape: [(String, String)] = [
            ("POST /campaigns", #"{"campaignId":"cmp-1"}"#),
            ("POST /campaigns", String(Bodies.create("cmp-1").dropLast()) + #","extra":1}"#),
            ("POST /campaigns/{campaignId}/change-budget", #"{"budget":{"amountMinor":"ten","currency":"EUR"}}"#),
            ("POST /campaigns/{campaignId}/change-budget", #"{"budget":{"amountMinor":5,"currency":"EUR","tax":1}}"#),
            ("POST /campaigns/{campaignId}/change-budget", #"{"budget":{"amountMinor":1.5,"currency":"EUR"}}"#),
            ("POST /campaigns/{campaignId}/subcampaigns/{subcampaignId}/change-budget-bounds", #"{"shareBounds":{"minimumBasisPoints":10001}}"#),
            ("POST /campaigns/{campaignId}/pause", #"{"now":true}"#),
            ("POST /campaigns/bulk-buys", #"{"items":[]}"#),
            // The catalog's closed lists, and what the campaign rules refuse on their own.
            ("POST /campaigns", Bodies.create("cmp-1").replacingOccurrences(of: "EUR", with: "XTS")),
            ("POST /campaigns", Bodies.create("cmp-1", budget: "0")),
            ("POST /campaigns/{campaignId}/subcampaigns", Bodies.subcampaign.replacingOccurrences(of: "\"NO\"", with: "\"XX\"")),
            ("POST /campaigns/{campaignId}/subcampaigns", Bodies.subcampaign.replacingOccurrences(of: "\"NO\"", with: "\"SE\"")),
            ("POST /campaigns/{campaignId}/subcampaigns", Bodies.subcampaign.replacingOccurrences(of: "\"home\"", with: "\"lobby\"")),
            ("POST /campaigns/{campaignId}/subcampaigns/{subcampaignId}/change-targeting", #"{"targeting":{"markets":[],"surfaces":["home"],"segments":["casual"]}}"#),
            ("POST /campaigns/{campaignId}/delivery-reports", Bodies.report("r-1").replacingOccurrences(of: "\"clicks\":10", with: "\"clicks\":-1")),
            ("POST /campaigns/{campaignId}/change-flight", #"{"flight":{"start":"2026-12-01T00:00:00+01:00","end":"2026-12-31T00:00:00Z"}}"#),
        ]
        for (route, body) in refusedForShape {
            #expect(try contract.requestErrors(route, body: JSONValue.parse(body)) != [], "\(route) \(body)")
        }
    }
}

/// The closed lists and the formats the server enforces, as the document states them.
@Suite struct ContractFormatTests {
    /// The lists are generated from the catalog (`reprise openapi catalog`): regenerating
    /// changes nothing, and read back they are the catalog's sets.
    @Test func theDocumentsClosedListsAreTheCatalogs() throws {
        let text = try String(contentsOf: OpenAPIContract.url, encoding: .utf8)
        #expect(try OpenAPICatalog.updating(text) == text, "schemas/openapi.yaml is stale: run `reprise openapi catalog`")

        let contract = try OpenAPIContract.load()
        let lists: [(String, Set<String>)] = [
            ("Market", Set(Catalog.markets.map(\.rawValue))), ("Surface", Set(Catalog.surfaces.map(\.rawValue))),
            ("Segment", Set(Catalog.segments.map(\.rawValue))), ("Currency", Set(Catalog.currencies.map(\.rawValue))),
        ]
        for (name, catalog) in lists {
            guard case .array(let values)? = contract.document["components"]?["schemas"]?[name]?["enum"] else {
                Issue.record("components.schemas.\(name) has no enum")
                continue
            }
            // Strings, every one: a YAML reader must not turn Norway's NO into false.
            let strings = values.compactMap { value -> String? in if case .string(let text) = value { text } else { nil } }
            #expect(strings.count == values.count, "\(name) holds a value that is not a string")
            #expect(Set(strings) == catalog, "\(name): only documented \(Set(strings).subtracting(catalog)), only in the catalog \(catalog.subtracting(strings))")
        }
    }

    /// Each pattern the server checks a header or parameter with is the one the document states.
    @Test func theDocumentsPatternsAreTheOnesTheServerChecks() throws {
        let document = try OpenAPIContract.load().document
        let components = document["components"]
        #expect(components?["parameters"]?["IfMatch"]?["schema"]?["pattern"] == .string(APIFormats.ifMatchPattern))
        #expect(components?["parameters"]?["CorrelationId"]?["schema"]?["pattern"] == .string(APIFormats.correlationIDPattern))
        #expect(components?["schemas"]?["Timestamp"]?["pattern"] == .string(APIFormats.timestampPattern))
        #expect(components?["schemas"]?["Id"]?["pattern"] == .string(CampaignID.pattern))
        guard case .array(let parameters)? = document["paths"]?["/campaigns/{campaignId}/state"]?["get"]?["parameters"] else {
            Issue.record("the state read has no parameters")
            return
        }
        let asOf = parameters.first { $0["name"] == .string("asOf") }
        #expect(asOf?["schema"]?["pattern"] == .string(APIFormats.asOfPattern))
    }

    /// The timestamp pattern admits what the domain's parser reads and nothing else, bar a
    /// day its month lacks (which the parser refuses with 422).
    @Test(arguments: [
        ("2026-12-01T00:00:00Z", true), ("2026-12-01T00:00:00.123456Z", true), ("0001-01-01T00:00:00.1Z", true),
        ("2028-02-29T23:59:59Z", true), ("2026-12-01T00:00:00.1234567Z", false), ("2026-12-01T00:00:00+01:00", false),
        ("2026-12-01 00:00:00Z", false), ("0000-01-01T00:00:00Z", false), ("2026-13-01T00:00:00Z", false),
        ("2026-12-01T24:00:00Z", false), ("2026-12-01T00:00:60Z", false), ("2026-12-01T00:00:00.Z", false),
    ])
    func theTimestampPatternIsTheParsersFormat(text: String, valid: Bool) {
        #expect(APIFormats.matches(text, APIFormats.timestampPattern) == valid)
        #expect(((try? Timestamp(text)) != nil) == valid)
    }
}

/// Sends requests and holds each answer against the document.
struct ContractExchange {
    private let api: APIHarness
    private let contract: OpenAPIContract
    private(set) var operationsAnsweredWithSuccess: Set<String> = []

    init(api: APIHarness, contract: OpenAPIContract) {
        self.api = api
        self.contract = contract
    }

    mutating func check(
        _ method: HTTPRequest.Method, _ path: String, key: String? = APIHarness.Key.admin, json: String? = nil,
        headers: [String: String] = [:], status: Int, sendsInvalidBody: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let route = contract.route(method.rawValue, path)
        if let json, !sendsInvalidBody, let route {
            #expect(try contract.requestErrors(route, body: JSONValue.parse(json)) == [], "request to \(path)", sourceLocation: sourceLocation)
        }
        let reply = try await api.send(method, path, key: key, json: json, headers: headers)
        #expect(reply.status == status, "\(method) \(path): \(reply.body)", sourceLocation: sourceLocation)
        let errors = try contract.responseErrors(route, status: reply.status, contentType: reply.contentType, body: reply.body)
        #expect(errors == [], "\(method) \(path) → \(reply.status): \(reply.body)", sourceLocation: sourceLocation)
        if let route, (200..<300).contains(reply.status) { operationsAnsweredWithSuccess.insert(route) }
    }
}

/// `schemas/openapi.yaml`, read, and the questions the contract tests ask of it.
struct OpenAPIContract: Sendable {
    let document: JSONValue
    let schemas: JSONSchemaValidator

    static var url: URL {
        URL(fileURLWithPath: MigratedDatabase.repositoryMigrations).deletingLastPathComponent().appendingPathComponent("schemas/openapi.yaml")
    }

    static func load() throws -> OpenAPIContract {
        let document = try JSONValue(yaml: try String(contentsOf: url, encoding: .utf8))
        return OpenAPIContract(document: document, schemas: try JSONSchemaValidator(document: document, schemasAt: "#/components/schemas"))
    }

    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]

    /// `METHOD /template` for every operation under `paths`.
    var routes: Set<String> {
        guard case .object(let paths)? = document["paths"] else { return [] }
        return Set(paths.flatMap { template, item -> [String] in
            guard case .object(let members) = item else { return [] }
            return members.keys.filter(Self.methods.contains).map { "\($0.uppercased()) \(template)" }
        })
    }

    /// The documented route a request goes to: its template, literal segments preferred.
    func route(_ method: String, _ path: String) -> String? {
        let segments = path.split(separator: "?", maxSplits: 1)[0].split(separator: "/", omittingEmptySubsequences: false)
        let candidates = routes.compactMap { route -> (String, Int)? in
            let parts = route.split(separator: " ", maxSplits: 1)
            guard parts[0] == method else { return nil }
            let template = parts[1].split(separator: "/", omittingEmptySubsequences: false)
            guard template.count == segments.count else { return nil }
            var literal = 0
            for (expected, actual) in zip(template, segments) {
                if expected.hasPrefix("{") { continue }
                guard expected == actual else { return nil }
                literal += 1
            }
            return (route, literal)
        }
        return candidates.max { $0.1 < $1.1 }?.0
    }

    private func operation(_ route: String) -> JSONValue? {
        let parts = route.split(separator: " ", maxSplits: 1)
        return document["paths"]?[String(parts[1])]?[parts[0].lowercased()]
    }

    /// Follows a `$ref` within the document, if `value` is one.
    private func dereferenced(_ value: JSONValue?) -> JSONValue? {
        guard case .string(let ref)? = value?["$ref"] else { return value }
        return JSONSchemaValidator.resolve(ref, in: document)
    }

    func requestErrors(_ route: String, body: JSONValue) throws -> [String] {
        guard let operation = operation(route) else { return ["\(route) is not documented"] }
        guard let schema = dereferenced(operation["requestBody"])?["content"]?["application/json"]?["schema"] else {
            return ["\(route) documents no application/json request body"]
        }
        return try schemas.errors(in: body, against: schema)
    }

    /// How the answer disagrees with the document. A request that matched no route must
    /// still be a problem document.
    func responseErrors(_ route: String?, status: Int, contentType: String?, body: String) throws -> [String] {
        let mediaType = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard let route else {
            guard mediaType == Problem.mediaType else { return ["an unrouted answer is \(mediaType), not a problem"] }
            return try schemas.errors(in: JSONValue.parse(body), against: .object(["$ref": .string("#/components/schemas/Problem")]))
        }
        guard let responses = operation(route)?["responses"] else { return ["\(route) documents no responses"] }
        guard let response = dereferenced(responses[String(status)] ?? responses["default"]) else {
            return ["\(route) documents no \(status) answer and no default"]
        }
        guard case .object(let content)? = response["content"] else {
            return body.isEmpty ? [] : ["\(route) \(status) documents no body, but one came"]
        }
        guard let media = content[mediaType] else {
            return ["\(route) \(status) is \(mediaType), documented: \(content.keys.sorted())"]
        }
        guard let schema = media["schema"] else { return [] }
        let instance: JSONValue = mediaType.hasSuffix("json") ? try JSONValue.parse(body) : .string(body)
        return try schemas.errors(in: instance, against: schema)
    }
}

extension JSONValue {
    static func parse(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import RepriseCampaigns
import RepriseDomain

/// The campaign commands and reads.
struct CampaignRoutes {
    let services: APIServices

    /// What a route does, for the role check.
    enum Access {
        case command, deliveryReport, read

        func allows(_ role: Role) -> Bool {
            switch (role, self) {
            case (.admin, _): true
            case (.campaignManager, .command), (.campaignManager, .read): true
            case (.deliveryReporter, .deliveryReport): true
            case (.auditor, .read): true
            default: false
            }
        }
    }

    func register(on api: inout APIRouter) {
        api.on(.post, "/campaigns") { request, context in
            try await create(request, context)
        }
        api.on(.post, "/campaigns/bulk-buys") { request, context in
            try await bulkBuy(request, context)
        }
        api.on(.get, "/campaigns") { request, context in
            try await list(request, context)
        }
        api.on(.get, "/campaigns/{campaignId}") { _, context in
            try await campaign(context)
        }
        api.on(.get, "/campaigns/{campaignId}/history") { _, context in
            try await history(context)
        }
        api.on(.get, "/campaigns/{campaignId}/state") { request, context in
            try await state(request, context)
        }

        campaignCommand(&api, "change-budget", CommandBodies.changeBudget)
        campaignCommand(&api, "change-flight", CommandBodies.changeFlight)
        for (action, make) in [
            ("activate", CampaignCommand.activate), ("pause", CampaignCommand.pause),
            ("resume", CampaignCommand.resume), ("cancel", CampaignCommand.cancel),
        ] {
            campaignAction(&api, action) { id, body throws(Problem) in
                try CommandBodies.requireEmpty(body)
                return make(id)
            }
        }
        api.on(.post, "/campaigns/{campaignId}/subcampaigns") { request, context in
            try await command(request, context, status: .created) { id, body throws(Problem) in
                try CommandBodies.addSubcampaign(id, required(body))
            }
        }
        api.on(.post, "/campaigns/{campaignId}/delivery-reports") { request, context in
            try await command(request, context, access: .deliveryReport, status: .created) { id, body throws(Problem) in
                try CommandBodies.reportDelivery(id, required(body))
            }
        }

        subcampaignCommand(&api, "change-targeting", CommandBodies.changeTargeting)
        subcampaignCommand(&api, "change-price", CommandBodies.changePrice)
        subcampaignCommand(&api, "change-budget-bounds", CommandBodies.changeBudgetBounds)
        for (action, make) in [
            ("pause", CampaignCommand.pauseSubcampaign), ("resume", CampaignCommand.resumeSubcampaign),
            ("remove", CampaignCommand.removeSubcampaign),
        ] {
            subcampaignAction(&api, action) { id, subcampaignID, body throws(Problem) in
                try CommandBodies.requireEmpty(body)
                return make(id, subcampaignID)
            }
        }
    }

    private func campaignCommand(
        _ api: inout APIRouter, _ action: String,
        _ decode: @escaping @Sendable (CampaignID, JSONReader) throws(Problem) -> CampaignCommand
    ) {
        campaignAction(&api, action) { id, body throws(Problem) in try decode(id, required(body)) }
    }

    /// A campaign command at `/campaigns/{campaignId}/<action>`; `decode` gets the body, if any.
    private func campaignAction(
        _ api: inout APIRouter, _ action: String,
        _ decode: @escaping @Sendable (CampaignID, JSONReader?) throws(Problem) -> CampaignCommand
    ) {
        api.on(.post, "/campaigns/{campaignId}/\(action)") { request, context in
            try await command(request, context, status: .ok, decode)
        }
    }

    private func subcampaignCommand(
        _ api: inout APIRouter, _ action: String,
        _ decode: @escaping @Sendable (CampaignID, SubcampaignID, JSONReader) throws(Problem) -> CampaignCommand
    ) {
        subcampaignAction(&api, action) { id, subcampaignID, body throws(Problem) in try decode(id, subcampaignID, required(body)) }
    }

    /// A subcampaign command at `/campaigns/{campaignId}/subcampaigns/{subcampaignId}/<action>`.
    private func subcampaignAction(
        _ api: inout APIRouter, _ action: String,
        _ decode: @escaping @Sendable (CampaignID, SubcampaignID, JSONReader?) throws(Problem) -> CampaignCommand
    ) {
        api.on(.post, "/campaigns/{campaignId}/subcampaigns/{subcampaignId}/\(action)") { request, context in
            // The role, then the parameters in path order, as on every route (`command` repeats both).
            _ = try authorize(context, .command)
            _ = try pathID(context, "campaignId", CampaignID.init)
            let subcampaignID = try pathID(context, "subcampaignId", SubcampaignID.init)
            return try await command(request, context, status: .ok) { id, body throws(Problem) in try decode(id, subcampaignID, body) }
        }
    }

    // MARK: Commands

    private func create(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try authorize(context, .command)
        let envelope = try envelope(request, context, principal)
        let expectedVersion = try ETag.expectedVersion(ifMatch: request.headers[.ifMatch])
        let payload = try await body(request)
        let create = try CommandBodies.createCampaign(required(payload))
        try checkOwner(create.ownerID, principal)
        try await claimIdempotencyKey(request, envelope, payload)
        let outcome = try await handle(.create(create), envelope, expectedVersion)
        return try await campaignResponse(outcome, status: .created)
    }

    private func command(
        _ request: Request, _ context: APIRequestContext, access: Access = .command, status: HTTPResponse.Status,
        _ decode: (CampaignID, JSONReader?) throws(Problem) -> CampaignCommand
    ) async throws -> Response {
        let principal = try authorize(context, access)
        let campaignID = try pathID(context, "campaignId", CampaignID.init)
        let envelope = try envelope(request, context, principal)
        let expectedVersion = try ETag.expectedVersion(ifMatch: request.headers[.ifMatch])
        let payload = try await body(request)
        let command = try decode(campaignID, payload)
        if principal.role == .campaignManager {
            let (campaign, _) = try await load(campaignID)
            try checkOwner(campaign.ownerID, principal)
        }
        try await claimIdempotencyKey(request, envelope, payload)
        let outcome = try await handle(command, envelope, expectedVersion)
        return try await campaignResponse(outcome, status: status)
    }

    private func bulkBuy(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try authorize(context, .command)
        let envelope = try envelope(request, context, principal)
        let payload = try await body(request)
        let items = try CommandBodies.bulkBuy(required(payload))
        for item in items { try checkOwner(item.campaign.ownerID, principal) }
        try await claimIdempotencyKey(request, envelope, payload)
        let outcomes: [CommandOutcome]
        do {
            outcomes = try await services.handler.bulkBuy(items, envelope: envelope)
        } catch {
            throw counted(error)
        }
        services.metrics.eventsAppended(outcomes.reduce(0) { $0 + $1.events.count })
        return try Responses.json(
            BulkBuyResponse(items: outcomes.map { .init(campaignId: $0.campaignID.rawValue, version: $0.version) }),
            status: .created
        )
    }

    private struct BulkBuyResponse: Encodable {
        struct Item: Encodable {
            let campaignId: String
            let version: Int
        }
        let items: [Item]
    }

    private func handle(_ command: CampaignCommand, _ envelope: CommandEnvelope, _ expectedVersion: Int?) async throws(Problem) -> CommandOutcome {
        do {
            let outcome = try await services.handler.handle(command, envelope: envelope, expectedVersion: expectedVersion)
            services.metrics.eventsAppended(outcome.events.count)
            return outcome
        } catch {
            throw counted(error)
        }
    }

    private func counted(_ error: CommandError) -> Problem {
        if error.code == .versionMismatch || error.code == .conflict { services.metrics.conflict(error.code.rawValue) }
        return Problem(error)
    }

    /// The campaign as the command left it. The handler holds it when it decided the
    /// command; a retry's is rebuilt from the events up to the first answer's version, so a
    /// retry with the same Idempotency-Key gets the same body without reading the log twice
    /// on the common path.
    private func campaignResponse(_ outcome: CommandOutcome, status: HTTPResponse.Status) async throws -> Response {
        if let campaign = outcome.campaign, campaign.version == outcome.version {
            return try Responses.json(campaign, status: status, version: outcome.version)
        }
        let id = outcome.campaignID, version = outcome.version
        let snapshot: CampaignSnapshot?
        do {
            snapshot = try await services.audit.state(of: id, at: .version(version))
        } catch {
            throw Problem(error)
        }
        guard let snapshot else { throw Problem(DomainError(.campaignNotFound, "campaign \(id) does not exist")) }
        return try Responses.json(snapshot.campaign, status: status, version: snapshot.version)
    }

    // MARK: Reads

    private func campaign(_ context: APIRequestContext) async throws -> Response {
        let principal = try authorize(context, .read)
        let (campaign, version) = try await load(try pathID(context, "campaignId", CampaignID.init))
        try checkOwner(campaign.ownerID, principal)
        return try Responses.json(campaign, version: version)
    }

    /// `?ownerId=&status=&after=&limit=`: campaigns in id order. A campaign manager sees
    /// only its own owners' campaigns.
    private func list(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try authorize(context, .read)
        let query = request.uri.queryParameters
        var owners: Set<OwnerID>? = nil
        if let text = query["ownerId"].map(String.init) {
            let owner: OwnerID
            do {
                owner = try OwnerID(text)
            } catch {
                throw Problem.invalidParameter("ownerId", error.message)
            }
            try checkOwner(owner, principal)
            owners = [owner]
        } else if principal.role == .campaignManager {
            owners = principal.owners
        }
        var status: CampaignStatus? = nil
        if let text = query["status"].map(String.init) {
            guard let parsed = CampaignStatus(rawValue: text) else {
                throw Problem.invalidParameter("status", "'\(text)' is not one of \(CampaignStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = parsed
        }
        var after: CampaignID? = nil
        if let text = query["after"].map(String.init) {
            do {
                after = try CampaignID(text)
            } catch {
                throw Problem.invalidParameter("after", error.message)
            }
        }
        var limit = 50
        if let text = query["limit"].map(String.init) {
            guard let parsed = Int(text), (1...200).contains(parsed) else {
                throw Problem.invalidParameter("limit", "limit must be a whole number from 1 to 200")
            }
            limit = parsed
        }
        let page: CampaignPage
        do {
            page = try await services.campaigns.page(owners: owners, status: status, after: after, limit: limit)
        } catch {
            throw Problem(error)
        }
        return try Responses.json(page)
    }

    private func history(_ context: APIRequestContext) async throws -> Response {
        let principal = try authorize(context, .read)
        let campaignID = try pathID(context, "campaignId", CampaignID.init)
        let history: [CampaignHistoryEntry]
        do {
            history = try await services.audit.history(of: campaignID)
        } catch {
            throw Problem(error)
        }
        guard let last = history.last, let owner = Self.ownerID(history) else { throw Self.notFound(campaignID) }
        try checkOwner(owner, principal)
        return try Responses.json(
            HistoryResponse(campaignId: campaignID.rawValue, events: history.map { EventEnvelope.json($0.recorded) }),
            version: last.recorded.streamVersion
        )
    }

    private struct HistoryResponse: Encodable {
        let campaignId: String
        let events: [JSONValue]
    }

    private static func ownerID(_ history: [CampaignHistoryEntry]) -> OwnerID? {
        var campaign: Campaign?
        for entry in history.prefix(1) { Campaign.apply(entry.event, to: &campaign) }
        return campaign?.ownerID
    }

    private func state(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try authorize(context, .read)
        let campaignID = try pathID(context, "campaignId", CampaignID.init)
        guard let asOf = request.uri.queryParameters["asOf"].map(String.init) else {
            throw Problem.invalidParameter("asOf", "asOf is required: a time (2026-11-21T10:00:00Z), a version (v12) or a log position (881234:42)")
        }
        guard APIFormats.matches(asOf, APIFormats.asOfPattern) else {
            throw Problem.invalidParameter("asOf", "'\(asOf)' is neither a time (2026-11-21T10:00:00Z), a version (v12) nor a log position (881234:42)")
        }
        // Well formed, as the document says, yet no moment: a day its month lacks (06-31), or
        // an offset that moves it out of years 0001 to 9999. A rule, as for a body's timestamp.
        guard let moment = AuditMoment(parsing: asOf) else {
            throw Problem(DomainError(.invalidValue, field: "asOf", "'\(asOf)' names no moment: its month has no such day, or it falls outside years 0001 to 9999"))
        }
        let snapshot: CampaignSnapshot?
        do {
            snapshot = try await services.audit.state(of: campaignID, at: moment)
        } catch {
            throw Problem(error)
        }
        guard let snapshot else {
            throw Problem(DomainError(.campaignNotFound, "campaign \(campaignID) did not exist as of \(asOf)"))
        }
        try checkOwner(snapshot.campaign.ownerID, principal)
        return try Responses.json(snapshot.campaign, version: snapshot.version)
    }

    // MARK: Pieces

    private func authorize(_ context: APIRequestContext, _ access: Access) throws(Problem) -> Principal {
        guard let principal = context.principal else { throw Problem.unauthorized }
        guard access.allows(principal.role) else {
            throw Problem.forbidden("a \(principal.role.rawValue) key may not use this endpoint")
        }
        return principal
    }

    private func checkOwner(_ owner: OwnerID, _ principal: Principal) throws(Problem) {
        guard principal.role == .campaignManager else { return }
        guard principal.owners.contains(owner) else {
            // Naming the owner would tell the caller whose campaign an id is.
            throw Problem.forbidden("this key does not manage this campaign's owner")
        }
    }

    private func load(_ id: CampaignID) async throws(Problem) -> (Campaign, Int) {
        let loaded: (Campaign?, Int)
        do {
            loaded = try await services.handler.load(id)
        } catch {
            throw Problem(error)
        }
        guard let campaign = loaded.0 else { throw Self.notFound(id) }
        return (campaign, loaded.1)
    }

    private static func notFound(_ id: CampaignID) -> Problem {
        Problem(DomainError(.campaignNotFound, "campaign \(id) does not exist"))
    }

    private func pathID<T>(_ context: APIRequestContext, _ name: String, _ make: (String) throws(DomainError) -> T) throws(Problem) -> T {
        guard let raw = context.parameters.get(name) else { throw Problem.invalidParameter(name, "\(name) is missing") }
        // The router matches the path as sent; a client may percent-encode any character of
        // an id (`j-%3A` is `j-:`), so the id is the decoded segment.
        guard let text = raw.removingPercentEncoding else {
            throw Problem.invalidParameter(name, "\(name) is not valid percent-encoded UTF-8")
        }
        do {
            return try make(text)
        } catch {
            throw Problem.invalidParameter(name, error.message)
        }
    }

    /// The command id: from `Idempotency-Key`, scoped to the key holder and the route so
    /// that two callers, or one key reused on another campaign, never share an outcome. The
    /// body is tied to the key apart from this (`claimIdempotencyKey`), once it is read.
    private func envelope(_ request: Request, _ context: APIRequestContext, _ principal: Principal) throws(Problem) -> CommandEnvelope {
        let commandID: String
        if let key = request.headers[.idempotencyKey] {
            guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw Problem.invalidHeader("Idempotency-Key", "Idempotency-Key must be 1 to 255 visible ASCII characters")
            }
            let scope = [principal.keyID, request.method.rawValue, request.uri.path, key].joined(separator: "\n")
            commandID = "http:" + APIKeyring.hash(scope)
        } else {
            commandID = "http:" + UUID().uuidString.lowercased()
        }
        return CommandEnvelope(commandID: commandID, correlationID: context.correlationID, actor: principal.actor, issuedAt: services.clock())
    }

    /// Ties the caller's `Idempotency-Key` to this request's body, once the request is
    /// known to be well formed and allowed: a key reused with another body is 422 and the
    /// command is not handled. Refusals before this point leave the key unused, so a
    /// corrected request may still take it.
    private func claimIdempotencyKey(_ request: Request, _ envelope: CommandEnvelope, _ body: JSONReader?) async throws(Problem) {
        guard request.headers[.idempotencyKey] != nil else { return }
        try await services.idempotencyKeys.claim(envelope.commandID, fingerprint: IdempotencyKeys.fingerprint(body))
    }

    func body(_ request: Request) async throws -> JSONReader? {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: services.bodyLimit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw Problem.bodyTooLarge(limit: services.bodyLimit)
        }
        guard buffer.readableBytes > 0 else { return nil }
        let contentType = request.headers[.contentType]
        let mediaType = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" else { throw Problem.unsupportedMediaType(contentType) }
        return try JSONReader.parse(Data(buffer.readableBytesView))
    }
}

/// A command with a payload needs a body.
private func required(_ body: JSONReader?) throws(Problem) -> JSONReader {
    guard let body else { throw Problem.malformedJSON("this endpoint needs a JSON body") }
    return body
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let correlationID = HTTPField.Name("X-Correlation-ID")!
}

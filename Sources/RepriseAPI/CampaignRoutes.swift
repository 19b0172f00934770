import Foundation
import HTTPTypes
import Hummingbird
import RepriseCampaigns
import RepriseDomain
import RepriseEventLog

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
        api.on(.get, "/campaigns/{campaignId}/history") { request, context in
            try await history(request, context)
        }
        api.on(.get, "/campaigns/{campaignId}/delivery-reports") { request, context in
            try await deliveryReports(request, context)
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
        return try await respond(request, envelope, payload, campaignID: create.campaignID, status: .created) { envelope in
            try await decide(.create(create), envelope, expectedVersion, status: .created)
        }
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
            try checkOwner(try await owner(of: campaignID), principal)
        }
        return try await respond(request, envelope, payload, campaignID: campaignID, status: status) { envelope in
            try await decide(command, envelope, expectedVersion, status: status)
        }
    }

    private func bulkBuy(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try authorize(context, .command)
        var envelope = try envelope(request, context, principal)
        let payload = try await body(request)
        let items = try CommandBodies.bulkBuy(required(payload))
        for item in items { try checkOwner(item.campaign.ownerID, principal) }
        // A retry's body is the first request's (the fingerprints match), so its items
        // list the campaigns in the order the first answer did.
        let ids = items.map(\.campaign.campaignID)
        let answer = { @Sendable (versions: [CampaignID: Int]) throws -> Answer in
            try Answer.json(BulkBuyResponse(items: ids.map { .init(campaignId: $0.rawValue, version: versions[$0] ?? 0) }), status: .created)
        }
        let fingerprint = fingerprint(request, payload)
        envelope.requestFingerprint = fingerprint
        let decide = { @Sendable [envelope] () async throws -> IdempotencyKeys.Decision in
            let outcomes: [CommandOutcome]
            do throws(CommandError) {
                outcomes = try await services.handler.bulkBuy(items, envelope: envelope)
            } catch {
                let problem = counted(error)
                guard error.code == .bulkRejected else { throw problem }
                return .nothingAppended(Answer(problem))
            }
            services.metrics.eventsAppended(outcomes.reduce(0) { $0 + $1.events.count })
            let decided = try answer(Dictionary(outcomes.map { ($0.campaignID, $0.version) }, uniquingKeysWith: { $1 }))
            return outcomes.contains(where: \.isDuplicate) ? .appendedBefore(decided) : .appended(decided)
        }
        guard let fingerprint else { return try await decide().answer.response() }
        return try await services.idempotencyKeys.answer(envelope.commandID, fingerprint: fingerprint) { result in
            try answer(Self.versions(result))
        } decide: {
            try await decide()
        }.response()
    }

    /// The campaigns of an append result and their versions after it.
    private static func versions(_ result: AppendResult) -> [CampaignID: Int] {
        Dictionary(
            result.streams.compactMap { stream in Campaign.campaignID(fromStreamID: stream.streamID.rawValue).map { ($0, stream.version) } },
            uniquingKeysWith: { $1 }
        )
    }

    private struct BulkBuyResponse: Encodable {
        struct Item: Encodable {
            let campaignId: String
            let version: Int
        }
        let items: [Item]
    }

    /// The answer with the caller's `Idempotency-Key`: the key's stored answer if it was
    /// used, else `decide`'s, remembered (`IdempotencyKeys`). Without a key, `decide`'s.
    /// Refusals before this point (malformed, forbidden) leave the key unused, so a corrected
    /// request may still take it.
    private func respond(
        _ request: Request, _ envelope: CommandEnvelope, _ payload: JSONReader?, campaignID: CampaignID,
        status: HTTPResponse.Status, _ decide: @escaping @Sendable (CommandEnvelope) async throws -> IdempotencyKeys.Decision
    ) async throws -> Response {
        guard let fingerprint = fingerprint(request, payload) else { return try await decide(envelope).answer.response() }
        var envelope = envelope
        envelope.requestFingerprint = fingerprint
        return try await services.idempotencyKeys.answer(envelope.commandID, fingerprint: fingerprint) { result in
            let version = result.streams.first { $0.streamID.rawValue == Campaign.streamID(for: campaignID) }?.version ?? 0
            return try await campaignAnswer(campaignID, version: version, campaign: nil, status: status)
        } decide: { [envelope] in
            try await decide(envelope)
        }.response()
    }

    /// Decides and appends one campaign command. A refusal by the domain is an answer the
    /// key keeps, as is a command that changed nothing; other failures are not.
    private func decide(
        _ command: CampaignCommand, _ envelope: CommandEnvelope, _ expectedVersion: Int?, status: HTTPResponse.Status
    ) async throws -> IdempotencyKeys.Decision {
        let outcome: CommandOutcome
        do throws(CommandError) {
            outcome = try await services.handler.handle(command, envelope: envelope, expectedVersion: expectedVersion)
        } catch {
            let problem = counted(error)
            guard error.code == .rejected else { throw problem }
            return .nothingAppended(Answer(problem))
        }
        services.metrics.eventsAppended(outcome.events.count)
        let answer = try await campaignAnswer(outcome.campaignID, version: outcome.version, campaign: outcome.campaign, status: status)
        if outcome.isDuplicate { return .appendedBefore(answer) }
        return outcome.events.isEmpty ? .nothingAppended(answer) : .appended(answer)
    }

    /// The request's fingerprint when it carries an `Idempotency-Key`.
    private func fingerprint(_ request: Request, _ payload: JSONReader?) -> String? {
        request.headers[.idempotencyKey] == nil ? nil : IdempotencyKeys.fingerprint(payload)
    }

    private func counted(_ error: CommandError) -> Problem {
        if error.code == .versionMismatch || error.code == .conflict { services.metrics.conflict(error.code.rawValue) }
        return Problem(error)
    }

    /// The campaign as the command left it. The handler holds it when it decided the
    /// command; a retry's is rebuilt from the events up to the first answer's version, so a
    /// retry with the same Idempotency-Key gets the same body without reading the log twice
    /// on the common path.
    private func campaignAnswer(
        _ id: CampaignID, version: Int, campaign: Campaign?, status: HTTPResponse.Status
    ) async throws -> Answer {
        if let campaign, campaign.version == version {
            return try Answer.json(campaign, status: status, version: version)
        }
        let snapshot: CampaignSnapshot?
        do {
            snapshot = try await services.audit.state(of: id, at: .version(version))
        } catch {
            throw Problem(error)
        }
        guard let snapshot else { throw Problem(DomainError(.campaignNotFound, "campaign \(id) does not exist")) }
        return try Answer.json(snapshot.campaign, status: status, version: snapshot.version)
    }

    // MARK: Reads

    private func campaign(_ context: APIRequestContext) async throws -> Response {
        let principal = try authorize(context, .read)
        let (campaign, version) = try await current(try pathID(context, "campaignId", CampaignID.init), principal)
        return try Responses.json(campaign, version: version)
    }

    /// The campaign as it stands, for a caller allowed to read it. The owner is checked
    /// before the campaign is read, so a manager cannot make the server read another owner's
    /// campaign; the read is the handler's last state plus its tail, not a replay.
    private func current(_ id: CampaignID, _ principal: Principal) async throws(Problem) -> (Campaign, Int) {
        if principal.role == .campaignManager { try checkOwner(try await owner(of: id), principal) }
        let loaded: (Campaign?, Int)
        do {
            loaded = try await services.handler.current(id)
        } catch {
            throw Problem(error)
        }
        guard let campaign = loaded.0 else { throw Self.notFound(id) }
        return (campaign, loaded.1)
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

    /// `?after=&limit=`: one page of the campaign's events, oldest first, after stream
    /// version `after` (0, the default: from the first); `nextAfter` is the next page's
    /// `after`, absent on the last page. The ETag is the version of the page's last event.
    private func history(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try authorize(context, .read)
        let campaignID = try pathID(context, "campaignId", CampaignID.init)
        let query = request.uri.queryParameters
        var after = 0
        if let text = query["after"].map(String.init) {
            guard let parsed = Int(text), parsed >= 0 else {
                throw Problem.invalidParameter("after", "after must be a stream version: a whole number from 0")
            }
            after = parsed
        }
        let limit = try pageLimit(query["limit"].map(String.init), default: 100, max: 1_000)
        try checkOwner(try await owner(of: campaignID), principal)
        // One more than asked tells whether another page follows.
        let read: [CampaignHistoryEntry]
        do {
            read = try await services.audit.history(of: campaignID, after: after, limit: limit + 1)
        } catch {
            throw Problem(error)
        }
        let page = read.prefix(limit)
        let version = page.last?.recorded.streamVersion ?? after
        return try Responses.json(
            HistoryResponse(
                campaignId: campaignID.rawValue, events: page.map { EventEnvelope.json($0.recorded) },
                nextAfter: read.count > limit ? version : nil
            ),
            version: version
        )
    }

    /// `?after=&limit=`: the campaign's accepted delivery reports (id and content digest)
    /// in report id order, after report id `after`; `nextAfter` is the next page's `after`,
    /// absent on the last page. They left the campaign body because they grow without bound.
    private func deliveryReports(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try authorize(context, .read)
        let campaignID = try pathID(context, "campaignId", CampaignID.init)
        let query = request.uri.queryParameters
        var after: ReportID? = nil
        if let text = query["after"].map(String.init) {
            do {
                after = try ReportID(text)
            } catch {
                throw Problem.invalidParameter("after", error.message)
            }
        }
        let limit = try pageLimit(query["limit"].map(String.init), default: 100, max: 1_000)
        let (campaign, version) = try await current(campaignID, principal)
        let following = campaign.deliveryReportDigests
            .filter { report in after.map { report.key.rawValue > $0.rawValue } ?? true }
            .sorted { $0.key.rawValue < $1.key.rawValue }
        let page = following.prefix(limit)
        return try Responses.json(
            DeliveryReportsResponse(
                campaignId: campaignID.rawValue,
                reports: page.map { .init(reportId: $0.key.rawValue, contentDigest: $0.value) },
                nextAfter: following.count > limit ? page.last?.key.rawValue : nil
            ),
            version: version
        )
    }

    private struct DeliveryReportsResponse: Encodable {
        struct Report: Encodable {
            let reportId: String
            let contentDigest: String
        }
        let campaignId: String
        let reports: [Report]
        let nextAfter: String?
    }

    /// `limit` of a paged read: 1 to `max`, `default` when absent.
    private func pageLimit(_ text: String?, default fallback: Int, max: Int) throws(Problem) -> Int {
        guard let text else { return fallback }
        guard let parsed = Int(text), (1...max).contains(parsed) else {
            throw Problem.invalidParameter("limit", "limit must be a whole number from 1 to \(max)")
        }
        return parsed
    }

    private struct HistoryResponse: Encodable {
        let campaignId: String
        let events: [JSONValue]
        let nextAfter: Int?
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

    /// The campaign's owner from its first event (`CampaignCommandHandler.owner(of:)`), so an
    /// owner check costs one row and never replays a history; 404 when there is no campaign.
    private func owner(of id: CampaignID) async throws(Problem) -> OwnerID {
        let owner: OwnerID?
        do {
            owner = try await services.handler.owner(of: id)
        } catch {
            throw Problem(error)
        }
        guard let owner else { throw Self.notFound(id) }
        return owner
    }

    private static func notFound(_ id: CampaignID) -> Problem {
        Problem(DomainError(.campaignNotFound, "campaign \(id) does not exist"))
    }

    private func pathID<T>(_ context: APIRequestContext, _ name: String, _ make: (String) throws(DomainError) -> T) throws(Problem) -> T {
        try context.pathParameter(name, make)
    }

    /// The command id: from `Idempotency-Key`, scoped to the key holder and the route so
    /// that two callers, or one key reused on another campaign, never share an outcome. The
    /// body is tied to the key apart from this (`respond`), once it is read.
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

import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RepriseCampaigns
import RepriseDomain

/// Where the API listens and how much it accepts.
public struct APIConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Largest request body accepted; a larger one gets 413 before it is read in full.
    public var bodyLimit: Int
    /// A connection idle this long is closed, so idle clients cannot hold sockets for ever.
    public var idleTimeout: Duration

    public init(host: String = "127.0.0.1", port: Int = 8080, bodyLimit: Int = 1 << 20, idleTimeout: Duration = .seconds(60)) {
        self.host = host
        self.port = port
        self.bodyLimit = bodyLimit
        self.idleTimeout = idleTimeout
    }
}

/// Everything the routes use; the composition root builds it once.
public struct APIServices: Sendable {
    let handler: CampaignCommandHandler
    let audit: CampaignAudit
    let campaigns: any CampaignList
    let keyring: APIKeyring
    let metrics: APIMetrics
    let readiness: ReadinessProbe
    let idempotencyKeys: IdempotencyKeys
    /// Reads of the promotion scores; nil where no scores projection runs (an empty list).
    let scores: ScoreLookup?
    /// The time commands are issued at. The domain never reads a clock; this is where it comes from.
    let clock: @Sendable () -> Timestamp
    let bodyLimit: Int
    let logger: Logger

    public init(
        handler: CampaignCommandHandler, audit: CampaignAudit, campaigns: any CampaignList, keyring: APIKeyring, readiness: @escaping ReadinessProbe,
        idempotencyKeys: IdempotencyKeys, bodyLimit: Int, logger: Logger, metrics: APIMetrics = APIMetrics(),
        scores: ScoreLookup? = nil, clock: @escaping @Sendable () -> Timestamp = APIServices.systemClock
    ) {
        self.scores = scores
        self.metrics = metrics
        self.handler = handler
        self.audit = audit
        self.campaigns = campaigns
        self.keyring = keyring
        self.readiness = readiness
        self.idempotencyKeys = idempotencyKeys
        self.clock = clock
        self.bodyLimit = bodyLimit
        self.logger = logger
    }

    @Sendable public static func systemClock() -> Timestamp {
        (try? Timestamp(atOrBefore: Date())) ?? .earliest
    }
}

/// Whether the service can take commands now; `GET /health/ready` answers 503 while it
/// cannot. The composition root supplies it (the event store reachable, migrations applied,
/// and the parts that may fail while commands are still accepted).
public typealias ReadinessProbe = @Sendable () async -> Readiness

/// What `GET /health/ready` reports.
public struct Readiness: Sendable, Equatable {
    /// Commands can be accepted into the log.
    public var isReady: Bool
    /// Parts that do not work while commands are still accepted, each with its problem's
    /// code: `fanout` → `stream_ahead` while the relay is halted. Ready with degraded parts
    /// is still a 200: taking the API out of rotation would refuse commands the log can take.
    public var degraded: [String: String]

    public init(isReady: Bool, degraded: [String: String] = [:]) {
        self.isReady = isReady
        self.degraded = degraded
    }

    public static let ready = Readiness(isReady: true)
    public static let notReady = Readiness(isReady: false)
}

/// The request context of every route: the caller, once the key is checked.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    var principal: Principal?
    /// From `X-Correlation-ID` when it is a UUID, else new; stored on every event the request appends.
    var correlationID = UUID()

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.principal = nil
    }
}

/// The HTTP command API as a `Service`: the router with every route, on the configured address.
///
/// `reprise serve`, `reprise bench api` and the tests all build the server here, so the
/// tests and the benchmark drive exactly what runs in production. `onServerRunning` gets
/// the listening channel (its local address holds the port when port 0 was asked for).
public func buildApplication(
    configuration: APIConfiguration, services: APIServices,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> Application<RouterResponder<APIRequestContext>> {
    Application(
        router: APIRouter.build(services).router,
        server: .http1(configuration: .init(idleTimeout: TimeAmount(configuration.idleTimeout))),
        configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "reprise"),
        onServerRunning: onServerRunning,
        logger: services.logger
    )
}

/// A route as the OpenAPI document names it: method and path template.
public struct APIRoute: Hashable, Sendable, CustomStringConvertible {
    public let method: String
    /// `/campaigns/{campaignId}`: OpenAPI's template syntax, which Hummingbird also reads.
    public let path: String
    public var description: String { "\(method) \(path)" }
}

/// Builds the router and records each route it registers, so a test can hold the list
/// against the OpenAPI document.
///
/// The order in which a request is checked is part of the contract (`schemas/openapi.yaml`
/// describes it): the path and method (404, 405), the key (401), `X-Correlation-ID` (400),
/// the key's role (403), then each route's own steps in `CampaignRoutes`.
public struct APIRouter {
    public let router: Router<APIRequestContext>
    public private(set) var routes: [APIRoute] = []
    /// The methods of every path, for the 405s; filled as routes are registered.
    let table = RouteTable()

    public static func build(_ services: APIServices) -> APIRouter {
        var api = APIRouter(router: Router(context: APIRequestContext.self))
        api.router.add(middleware: CorrelationMiddleware())
        api.router.add(middleware: RequestLogMiddleware(metrics: services.metrics))
        api.router.add(middleware: ProblemMiddleware())
        api.router.add(middleware: MethodNotAllowedMiddleware(table: api.table))
        HealthRoutes(readiness: services.readiness, metrics: services.metrics).register(on: &api)
        // Everything registered from here on needs a key; health probes do not.
        api.router.add(middleware: AuthenticationMiddleware(keyring: services.keyring))
        CampaignRoutes(services: services).register(on: &api)
        ScoreRoutes(lookup: services.scores).register(on: &api)
        TrackRoutes(services: services).register(on: &api)
        CalendarRoutes(services: services).register(on: &api)
        return api
    }

    mutating func on(
        _ method: HTTPRequest.Method, _ path: String,
        use handler: @escaping @Sendable (Request, APIRequestContext) async throws -> Response
    ) {
        routes.append(APIRoute(method: method.rawValue, path: path))
        table.add(method.rawValue, path)
        router.on(RouterPath(path), method: method, use: handler)
    }
}

/// Turns every error into a problem document; nothing leaves as a bare 500.
struct ProblemMiddleware: RouterMiddleware {
    func handle(
        _ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            if let cause = problem.cause {
                // The logger carries the request's ids (hb.request.id, correlation.id), which
                // is how an operator finds this line from a caller's report.
                context.logger.error("request failed", metadata: ["problem.type": .string(problem.code), "error.message": .string(cause)])
            }
            return problem.response()
        } catch let error as any HTTPResponseError {
            return Problem.fromHTTPStatus(error.status).response()
        } catch {
            context.logger.error("request failed", metadata: ["error.message": "\(error)"])
            return Problem.internalError.response()
        }
    }
}

/// Finds the caller behind the bearer key; no key, or an unknown one, is 401.
struct AuthenticationMiddleware: RouterMiddleware {
    let keyring: APIKeyring

    func handle(
        _ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let principal = keyring.principal(authorization: request.headers[.authorization]) else { throw Problem.unauthorized }
        // Checked here, after the key, so that an anonymous caller learns nothing but 401.
        if let given = request.headers[.correlationID], APIFormats.correlationID(given) == nil {
            throw Problem.invalidHeader("X-Correlation-ID", "X-Correlation-ID must be a UUID such as 6f1c1e8a-3b0f-4c55-9d1e-2a7b5c3d4e5f")
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "auth.key_id"] = .string(principal.keyID)
        context.logger[metadataKey: "auth.role"] = .string(principal.role.rawValue)
        return try await next(request, context)
    }
}

/// Takes the caller's correlation id (or makes one), logs it with every line of the
/// request, and echoes it in the response. One that is not a UUID is refused once the key
/// is known (`AuthenticationMiddleware`); probes, which take no key, ignore it.
struct CorrelationMiddleware: RouterMiddleware {
    func handle(
        _ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        if let given = request.headers[.correlationID].flatMap(APIFormats.correlationID) { context.correlationID = given }
        context.logger[metadataKey: "correlation.id"] = .string(context.correlationID.uuidString.lowercased())
        var response = try await next(request, context)
        response.headers[.correlationID] = context.correlationID.uuidString.lowercased()
        return response
    }
}

/// One structured line per request, and its metrics: method, route, status and duration.
struct RequestLogMiddleware: RouterMiddleware {
    let metrics: APIMetrics

    func handle(
        _ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let route = context.endpointPath ?? "unmatched"
        metrics.requestHandled(method: request.method.rawValue, route: route, status: response.status.code, duration: elapsed)
        context.logger.info("request handled", metadata: [
            "http.method": .string(request.method.rawValue),
            "http.route": .string(route),
            "http.status": .stringConvertible(response.status.code),
            "http.duration_us": .stringConvertible(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000),
        ])
        return response
    }
}

/// Probes and metrics: no key needed, as orchestrators and scrapers call them.
struct HealthRoutes {
    let readiness: ReadinessProbe
    let metrics: APIMetrics

    func register(on api: inout APIRouter) {
        api.on(.get, "/health/live") { _, _ in try Responses.json(["status": "live"]) }
        api.on(.get, "/health/ready") { _, _ in
            let report = await readiness()
            guard report.isReady else {
                // A fixed text naming no error: probes are anonymous, and failing ones repeat too
                // often for a log line each.
                throw Problem(
                    "not_ready", .serviceUnavailable, title: "Temporarily unavailable; try again",
                    detail: "PostgreSQL is unreachable or migrations are pending"
                )
            }
            guard !report.degraded.isEmpty else { return try Responses.json(["status": "ready"]) }
            return try Responses.json(ReadinessBody(status: "degraded", degraded: report.degraded))
        }
        api.on(.get, "/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
    }
}

private struct ReadinessBody: Encodable {
    let status: String
    let degraded: [String: String]
}

enum Responses {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, version: Int? = nil) throws -> Response {
        try Answer.json(value, status: status, version: version).response()
    }
}

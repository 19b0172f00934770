import Foundation
import HTTPTypes
import Hummingbird
import RepriseCampaigns
import RepriseDomain

/// An RFC 9457 problem: every error the API answers with, as `application/problem+json`.
///
/// `type` is stable per kind of error: `https://reprise.dev/problems/<code>`, where a domain
/// rejection's code is `DomainError.Code.rawValue`. `field` names the offending member of the
/// request body as a JSON path (or a header or query parameter, by name).
public struct Problem: Error, HTTPResponseError, Sendable, Equatable {
    public static let typePrefix = "https://reprise.dev/problems/"
    public static let mediaType = "application/problem+json"

    public var code: String
    public var title: String
    public var status: HTTPResponse.Status
    public var detail: String
    public var field: String?
    /// With 409 and 412: the campaign's version at the time, for the next `If-Match`.
    public var currentVersion: Int?
    /// A refused bulk buy: every failing item.
    public var errors: [ItemError]?
    /// Why the server failed (a driver's text, a decoding error): for the log, with the
    /// request's ids, and never for the response, where it could tell a caller about the
    /// database or about other owners' data.
    public var cause: String?

    /// One failing item of a bulk buy.
    public struct ItemError: Sendable, Equatable, Encodable {
        public var index: Int
        public var type: String
        public var field: String?
        public var detail: String
    }

    public init(
        _ code: String, _ status: HTTPResponse.Status, title: String, detail: String, field: String? = nil,
        currentVersion: Int? = nil, errors: [ItemError]? = nil
    ) {
        self.code = code
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field
        self.currentVersion = currentVersion
        self.errors = errors
    }

    public var type: String { Problem.typePrefix + code }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = Problem.mediaType
        if let currentVersion { headers[.eTag] = ETag.format(currentVersion) }
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"reprise\"" }
        // Every 503 is worth sending again (a busy pool, a restarting database): say when.
        if status == .serviceUnavailable { headers[.retryAfter] = "1" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: encodedBody())))
    }

    /// The problem document as sent.
    func encodedBody() -> Data {
        (try? JSON.encode(Body(self))) ?? Data()
    }

    private struct Body: Encodable {
        let type: String
        let title: String
        let status: Int
        let detail: String
        let field: String?
        let currentVersion: Int?
        let errors: [ItemError]?

        init(_ problem: Problem) {
            type = problem.type
            title = problem.title
            status = problem.status.code
            detail = problem.detail
            field = problem.field
            currentVersion = problem.currentVersion
            errors = problem.errors
        }
    }
}

extension Problem {
    // Request shape: the body or a header is not what the contract says.
    static func malformedJSON(_ detail: String) -> Problem {
        Problem("malformed_json", .badRequest, title: "The body is not valid JSON", detail: detail)
    }
    static func wrongType(_ field: String, expected: String) -> Problem {
        Problem("wrong_type", .badRequest, title: "A value has the wrong JSON type", detail: "\(field) must be \(expected)", field: field)
    }
    static func missingField(_ field: String) -> Problem {
        Problem("missing_field", .badRequest, title: "A required member is missing", detail: "\(field) is required", field: field)
    }
    static func unknownField(_ field: String) -> Problem {
        Problem("unknown_field", .badRequest, title: "The body has a member this endpoint does not know", detail: "\(field) is not part of this request", field: field)
    }
    static func outOfRange(_ field: String, _ range: String) -> Problem {
        Problem("out_of_range", .badRequest, title: "A number is out of range", detail: "\(field) must be \(range)", field: field)
    }
    static func bodyTooLarge(limit: Int) -> Problem {
        Problem("body_too_large", .contentTooLarge, title: "The body is too large", detail: "bodies are limited to \(limit) bytes")
    }
    static func unsupportedMediaType(_ received: String?) -> Problem {
        Problem(
            "unsupported_media_type", .unsupportedMediaType, title: "The body must be application/json",
            detail: "Content-Type was \(received.map { "'\($0)'" } ?? "missing"); send application/json", field: "Content-Type"
        )
    }
    static func invalidHeader(_ name: String, _ detail: String) -> Problem {
        Problem("invalid_header", .badRequest, title: "A header has an invalid value", detail: detail, field: name)
    }
    static func invalidParameter(_ name: String, _ detail: String) -> Problem {
        Problem("invalid_parameter", .badRequest, title: "A path or query parameter is invalid", detail: detail, field: name)
    }

    // Access.
    static let unauthorized = Problem(
        "unauthorized", .unauthorized, title: "Authentication required",
        detail: "send a valid API key as 'Authorization: Bearer <key>'"
    )
    static func forbidden(_ detail: String) -> Problem {
        Problem("forbidden", .forbidden, title: "This key may not do that", detail: detail)
    }

    // Routing and the server.
    static func fromHTTPStatus(_ status: HTTPResponse.Status) -> Problem {
        switch status {
        case .notFound: Problem("not_found", .notFound, title: "No such resource", detail: "no endpoint has this path")
        case .methodNotAllowed: Problem("method_not_allowed", .methodNotAllowed, title: "Method not allowed", detail: "this path does not take that method")
        case .contentTooLarge: Problem("body_too_large", .contentTooLarge, title: "The body is too large", detail: "the body exceeds the limit")
        default: Problem("http_\(status.code)", status, title: status.reasonPhrase, detail: status.reasonPhrase)
        }
    }
    /// 503, the one way: something the answer needs (the event store, the scores, PostgreSQL
    /// for readiness) did not answer, and the same request may be sent again. The type is
    /// `unavailable`, or `not_ready` from the readiness probe. The detail is the same for
    /// every cause; `cause` goes to the log only.
    static func unavailable(_ cause: String, type: String = "unavailable") -> Problem {
        var problem = Problem(type, .serviceUnavailable, title: "Temporarily unavailable; try again", detail: unavailableDetail)
        problem.cause = cause
        return problem
    }
    static let unavailableDetail = "a service this request needs did not answer; send the same request again later"
    static let internalError = Problem(
        "internal", .internalServerError, title: "Internal error", detail: "the server failed; the request may be retried with the same Idempotency-Key"
    )

    /// The answer to a command the handler did not carry out.
    init(_ error: CommandError) {
        switch error.code {
        case .rejected:
            let domain = error.domainError ?? DomainError(.invalidValue, error.message)
            self.init(domain)
        case .bulkRejected:
            let failures = error.bulkRejection?.failures ?? []
            self.init(
                "bulk_rejected", .unprocessableContent, title: "The bulk buy was refused; nothing was booked",
                detail: "\(failures.count) item(s) failed", field: failures.first?.error.field,
                errors: failures.map {
                    ItemError(index: $0.index, type: Problem.typePrefix + $0.error.code.rawValue, field: $0.error.field, detail: $0.error.message)
                }
            )
        case .versionMismatch:
            self.init(
                "version_mismatch", .preconditionFailed, title: "The campaign is not at the version in If-Match",
                detail: error.message, field: "If-Match", currentVersion: error.actualVersion
            )
        case .conflict:
            self.init("conflict", .conflict, title: "The campaign kept changing; try again", detail: error.message, currentVersion: error.actualVersion)
        case .unreadableHistory:
            self.init(
                "unreadable_history", .internalServerError, title: "The campaign's history cannot be read",
                detail: "the campaign's stored events could not be read; the operators have the details"
            )
            self.cause = error.message
        default:
            self = .unavailable(error.message)
        }
    }

    /// A domain rejection: its code is the problem type.
    init(_ error: DomainError) {
        self.init(error.code.rawValue, Problem.status(of: error.code), title: Problem.title(of: error.code), detail: error.message, field: error.field)
    }

    /// Not found is 404; a clash with the campaign's current state is 409; a value that
    /// breaks a rule on its own is 422.
    static func status(of code: DomainError.Code) -> HTTPResponse.Status {
        switch code {
        case .campaignNotFound, .subcampaignNotFound: .notFound
        case .campaignAlreadyExists, .subcampaignAlreadyExists, .deliveryReportConflict, .campaignClosed,
             .invalidStatusTransition, .campaignNotDelivering, .noActiveSubcampaign, .flightAlreadyOver, .flightNotOver,
             .budgetBelowSpent, .supplyAlreadyReported, .holidayConflict:
            .conflict
        default: .unprocessableContent
        }
    }

    /// The code in words: `budget_not_positive` is "Budget not positive".
    private static func title(of code: DomainError.Code) -> String {
        let words = code.rawValue.replacingOccurrences(of: "_", with: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }
}

/// The API's JSON: sorted keys, so that a rebuilt response is byte for byte the first one.
enum JSON {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}

/// Entity tags are campaign versions: `"12"`.
enum ETag {
    static func format(_ version: Int) -> String { "\"\(version)\"" }

    /// The version an `If-Match` asks for; nil when absent or `*` (any version). Anything
    /// but `*` or one strong tag holding a version (`APIFormats.ifMatchPattern`) is malformed:
    /// 400, before the body is read. A well-formed tag that does not match the campaign is
    /// 412, once the command is decided.
    static func expectedVersion(ifMatch: String?) throws(Problem) -> Int? {
        guard let ifMatch = ifMatch?.trimmingCharacters(in: .whitespaces) else { return nil }
        guard APIFormats.matches(ifMatch, APIFormats.ifMatchPattern) else {
            throw Problem.invalidHeader("If-Match", "If-Match must be * or one campaign version as an entity tag, such as \"3\"")
        }
        guard ifMatch != "*" else { return nil }
        // The pattern admits at most 18 digits, which always fit.
        return Int(ifMatch.dropFirst().dropLast())
    }
}

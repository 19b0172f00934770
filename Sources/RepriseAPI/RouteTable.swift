import HTTPTypes
import Hummingbird
import Synchronization

/// Every path template the router serves, with its methods: what a 405's `Allow` lists.
///
/// Routes are added while the router is built, before the server takes a request; the
/// lock only makes the table `Sendable` for the middleware that reads it.
final class RouteTable: Sendable {
    private let methodsByTemplate = Mutex<[String: Set<String>]>([:])

    func add(_ method: String, _ template: String) {
        methodsByTemplate.withLock { table in _ = table[template, default: []].insert(method) }
    }

    /// The methods of the template `path` resolves to, nil for a path no route has. Like the
    /// router, a literal segment wins over a parameter (`/campaigns/bulk-buys` is not the
    /// campaign `bulk-buys`).
    func methods(for path: String) -> Set<String>? {
        let segments = path.split(separator: "/")
        return methodsByTemplate.withLock { table in
            var best: (literals: [Bool], methods: Set<String>)?
            for (template, methods) in table {
                let parts = template.split(separator: "/")
                guard parts.count == segments.count else { continue }
                var literals: [Bool] = []
                var matches = true
                for (part, segment) in zip(parts, segments) {
                    if part.hasPrefix("{") {
                        literals.append(false)
                    } else if part == segment {
                        literals.append(true)
                    } else {
                        matches = false
                        break
                    }
                }
                guard matches else { continue }
                // Better only if, at the first segment where they differ, this one has the literal.
                if let current = best, !current.literals.lexicographicallyPrecedes(literals, by: { !$0 && $1 }) { continue }
                best = (literals, methods)
            }
            return best?.methods
        }
    }
}

/// A known path asked with a method it does not take: 405 with `Allow`, before the key is
/// checked, as routing comes first.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    let table: RouteTable

    func handle(
        _ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let allowed = table.methods(for: request.uri.path), !allowed.contains(request.method.rawValue) else {
            return try await next(request, context)
        }
        var response = Problem.fromHTTPStatus(.methodNotAllowed).response()
        response.headers[.allow] = allowed.sorted().joined(separator: ", ")
        return response
    }
}

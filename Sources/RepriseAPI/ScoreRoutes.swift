import Hummingbird
import RepriseDomain
import RepriseScoring

/// Reads the published promotion scores of one market and surface: what the NATS bucket
/// serves personalization systems, from the live read model.
public typealias ScoreLookup = @Sendable (_ market: String, _ surface: String) async throws -> [PublishedScore]

/// `GET /scores?market=SE&surface=home`: the same scores personalization reads over NATS.
/// Admins and auditors only; a campaign manager would see other owners' campaigns.
struct ScoreRoutes {
    let lookup: ScoreLookup?

    struct Listing: Encodable {
        struct Entry: Encodable {
            let track: String
            let score: Double
            let scoreMicros: Int
            let campaignId: String
            let subcampaignId: String
        }

        let market: String
        let surface: String
        let scores: [Entry]
    }

    func register(on api: inout APIRouter) {
        api.on(.get, "/scores") { request, context in
            guard let principal = context.principal else { throw Problem.unauthorized }
            guard principal.role == .admin || principal.role == .auditor else {
                throw Problem.forbidden("a \(principal.role.rawValue) key may not read scores")
            }
            let market = try Self.parameter(request, "market", known: Catalog.markets.map(\.rawValue))
            let surface = try Self.parameter(request, "surface", known: Catalog.surfaces.map(\.rawValue))
            let published: [PublishedScore]
            do {
                published = try await lookup?(market, surface) ?? []
            } catch {
                throw Problem.unavailable("the scores could not be read: \(error)")
            }
            // Highest first, as a ranking would use them; ties in track order.
            let entries = published
                .sorted { ($0.scoreMicros, $1.track) > ($1.scoreMicros, $0.track) }
                .map {
                    Listing.Entry(
                        track: $0.track, score: Double($0.scoreMicros) / 1_000_000, scoreMicros: $0.scoreMicros,
                        campaignId: $0.campaignID.rawValue, subcampaignId: $0.subcampaignID.rawValue
                    )
                }
            return try Responses.json(Listing(market: market, surface: surface, scores: entries))
        }
    }

    private static func parameter(_ request: Request, _ name: String, known: some Sequence<String>) throws(Problem) -> String {
        guard let value = request.uri.queryParameters[Substring(name)].map(String.init), !value.isEmpty else {
            throw Problem.invalidParameter(name, "\(name) is required")
        }
        guard known.contains(value) else {
            throw Problem.invalidParameter(name, "'\(value)' is not a known \(name)")
        }
        return value
    }
}

import Foundation
import Hummingbird
import RepriseCampaigns
import RepriseDomain

/// The track catalog: which owner may promote which track.
///
/// `PUT /tracks/{trackId}` (admins) assigns a track to an owner, appending `track.assigned`
/// to the track's stream; sending the same owner again changes nothing, so the request is
/// safe to repeat. `GET /tracks/{trackId}` (admins and auditors) says who holds it.
struct TrackRoutes {
    let services: APIServices

    func register(on api: inout APIRouter) {
        api.on(.put, "/tracks/{trackId}") { request, context in
            let principal = try Self.authorize(context, [.admin])
            let track = try Self.trackID(context)
            let body = try await CampaignRoutes(services: services).body(request)
            guard let body else { throw Problem.malformedJSON("this endpoint needs a JSON body") }
            let owner = try body.object(allowing: ["ownerId"]).required("ownerId").checked(OwnerID.init)
            let envelope = CommandEnvelope(
                commandID: "http:" + UUID().uuidString.lowercased(), correlationID: context.correlationID,
                actor: principal.actor, issuedAt: services.clock()
            )
            let holding: TrackHolding
            do {
                holding = try await services.handler.tracks.assign(track, to: owner, envelope: envelope)
            } catch let error as CommandError {
                throw Problem(error)
            }
            return try Responses.json(holding, version: holding.version)
        }
        api.on(.get, "/tracks/{trackId}") { _, context in
            _ = try Self.authorize(context, [.admin, .auditor])
            let track = try Self.trackID(context)
            let holding: TrackHolding?
            do {
                holding = try await services.handler.tracks.holding(of: track)
            } catch let error as CommandError {
                throw Problem(error)
            }
            guard let holding else {
                throw Problem("track_not_found", .notFound, title: "No such track", detail: "track \(track) has never been assigned to an owner")
            }
            return try Responses.json(holding, version: holding.version)
        }
    }

    private static func authorize(_ context: APIRequestContext, _ roles: Set<Role>) throws(Problem) -> Principal {
        guard let principal = context.principal else { throw Problem.unauthorized }
        guard roles.contains(principal.role) else {
            throw Problem.forbidden("a \(principal.role.rawValue) key may not use this endpoint")
        }
        return principal
    }

    private static func trackID(_ context: APIRequestContext) throws(Problem) -> TrackID {
        try context.pathParameter("trackId", TrackID.init)
    }
}

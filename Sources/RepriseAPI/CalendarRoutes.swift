import Foundation
import Hummingbird
import RepriseCampaigns
import RepriseDomain

/// The markets' holiday calendars, which supply forecasting reads.
///
/// `PUT /calendar/{market}/holidays/{from}` (admins) declares a holiday starting at `from`,
/// appending `calendar.holiday-declared` to the market's stream: 201, or 200 when the same
/// holiday is declared already (safe to repeat), 409 `holiday_conflict` when another one
/// starts then. `GET /calendar/{market}/holidays` (admins and auditors) lists them.
struct CalendarRoutes {
    let services: APIServices

    /// What a declaration answers, and what the list holds.
    struct Holiday: Encodable {
        let market: String
        let from: Timestamp
        let to: Timestamp
        let name: String

        init(_ holiday: HolidayDeclared) {
            market = holiday.market.rawValue
            from = holiday.from
            to = holiday.to
            name = holiday.name
        }
    }

    struct HolidayList: Encodable {
        let holidays: [Holiday]
    }

    func register(on api: inout APIRouter) {
        api.on(.put, "/calendar/{market}/holidays/{from}") { request, context in
            let principal = try Self.authorize(context, [.admin])
            let market = try Self.market(context)
            let from = try Self.from(context)
            let body = try await CampaignRoutes(services: services).body(request)
            guard let body else { throw Problem.malformedJSON("this endpoint needs a JSON body") }
            let object = try body.object(allowing: ["to", "name"])
            let holiday = HolidayDeclared(
                market: market, from: from, to: try object.required("to").checked(Timestamp.init),
                name: try object.required("name").string()
            )
            let envelope = CommandEnvelope(
                commandID: "http:" + UUID().uuidString.lowercased(), correlationID: context.correlationID,
                actor: principal.actor, issuedAt: services.clock()
            )
            let outcome: HolidayCalendar.Outcome
            do {
                outcome = try await services.handler.calendar.declare(holiday, envelope: envelope)
            } catch let error as CommandError {
                throw Problem(error)
            }
            return try Responses.json(Holiday(holiday), status: outcome == .declared ? .created : .ok)
        }
        api.on(.get, "/calendar/{market}/holidays") { _, context in
            _ = try Self.authorize(context, [.admin, .auditor])
            let market = try Self.market(context)
            let holidays: [HolidayDeclared]
            do {
                holidays = try await services.handler.calendar.holidays(of: market)
            } catch let error as CommandError {
                throw Problem(error)
            }
            return try Responses.json(HolidayList(holidays: holidays.sorted { $0.from < $1.from }.map(Holiday.init)))
        }
    }

    private static func authorize(_ context: APIRequestContext, _ roles: Set<Role>) throws(Problem) -> Principal {
        guard let principal = context.principal else { throw Problem.unauthorized }
        guard roles.contains(principal.role) else {
            throw Problem.forbidden("a \(principal.role.rawValue) key may not use this endpoint")
        }
        return principal
    }

    private static func market(_ context: APIRequestContext) throws(Problem) -> Market {
        let market = try context.pathParameter("market") { Market($0) }
        guard Catalog.markets.contains(market) else {
            throw Problem(DomainError(.unknownMarket, field: "market", "market \"\(market)\" is not in the catalog"))
        }
        return market
    }

    private static func from(_ context: APIRequestContext) throws(Problem) -> Timestamp {
        try context.pathParameter("from", Timestamp.init)
    }
}

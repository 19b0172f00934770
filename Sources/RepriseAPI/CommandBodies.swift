import RepriseDomain

// Request bodies, read strictly into the domain's command types. Member names match the
// domain's field paths, so a `DomainError.field` names the member the client sent.

enum CommandBodies {
    static func createCampaign(_ body: JSONReader) throws(Problem) -> CreateCampaign {
        try createCampaign(body.object(allowing: campaignMembers))
    }

    static let campaignMembers: Set<String> = ["campaignId", "ownerId", "name", "objective", "budget", "flight", "pacingMode"]

    /// `checkingValues`: false for a bulk buy's items, whose rules the domain checks all at
    /// once, so that one refusal lists every failing item (a bulk buy meets no 409 or 412).
    static func createCampaign(_ object: JSONObjectReader, checkingValues: Bool = true) throws(Problem) -> CreateCampaign {
        CreateCampaign(
            campaignID: try object.required("campaignId").checked(CampaignID.init),
            ownerID: try object.required("ownerId").checked(OwnerID.init),
            name: checkingValues ? try name(object.required("name")) : try object.required("name").string(),
            objective: try object.required("objective").oneOf(Objective.self),
            budget: checkingValues ? try budget(object.required("budget")) : try money(object.required("budget"), checkingValues: false),
            flight: try flight(object.required("flight")),
            pacingMode: try object.required("pacingMode").oneOf(PacingMode.self)
        )
    }

    static func changeBudget(_ campaignID: CampaignID, _ body: JSONReader) throws(Problem) -> CampaignCommand {
        let object = try body.object(allowing: ["budget"])
        return .changeBudget(ChangeBudget(campaignID: campaignID, budget: try budget(object.required("budget"))))
    }

    static func changeFlight(_ campaignID: CampaignID, _ body: JSONReader) throws(Problem) -> CampaignCommand {
        let object = try body.object(allowing: ["flight"])
        return .changeFlight(ChangeFlight(campaignID: campaignID, flight: try flight(object.required("flight"))))
    }

    static func addSubcampaign(_ campaignID: CampaignID, _ body: JSONReader) throws(Problem) -> CampaignCommand {
        .addSubcampaign(AddSubcampaign(campaignID: campaignID, subcampaign: try newSubcampaign(body)))
    }

    static func changeTargeting(_ campaignID: CampaignID, _ subcampaignID: SubcampaignID, _ body: JSONReader) throws(Problem) -> CampaignCommand {
        let object = try body.object(allowing: ["targeting"])
        return .changeTargeting(ChangeTargeting(
            campaignID: campaignID, subcampaignID: subcampaignID, targeting: try targeting(object.required("targeting"))
        ))
    }

    static func changePrice(_ campaignID: CampaignID, _ subcampaignID: SubcampaignID, _ body: JSONReader) throws(Problem) -> CampaignCommand {
        let object = try body.object(allowing: ["pricing"])
        return .changePrice(ChangePrice(campaignID: campaignID, subcampaignID: subcampaignID, pricing: try pricing(object.required("pricing"))))
    }

    static func changeBudgetBounds(_ campaignID: CampaignID, _ subcampaignID: SubcampaignID, _ body: JSONReader) throws(Problem) -> CampaignCommand {
        let object = try body.object(allowing: ["shareBounds"])
        return .changeBudgetBounds(ChangeBudgetBounds(
            campaignID: campaignID, subcampaignID: subcampaignID, shareBounds: try shareBounds(object.required("shareBounds"))
        ))
    }

    static func reportDelivery(_ campaignID: CampaignID, _ body: JSONReader) throws(Problem) -> CampaignCommand {
        let object = try body.object(allowing: [
            "reportId", "subcampaignId", "from", "to", "impressions", "reachEstimate", "clicks", "conversions", "spend",
        ])
        return .reportDelivery(ReportDelivery(campaignID: campaignID, report: DeliveryReport(
            reportID: try object.required("reportId").checked(ReportID.init),
            subcampaignID: try object.required("subcampaignId").checked(SubcampaignID.init),
            from: try object.required("from").checked(Timestamp.init),
            to: try object.required("to").checked(Timestamp.init),
            impressions: try count(object.required("impressions")),
            reachEstimate: try count(object.required("reachEstimate")),
            clicks: try count(object.required("clicks")),
            conversions: try count(object.required("conversions")),
            spend: try spend(object.required("spend"))
        )))
    }

    /// `{"items": [{campaign members…, "subcampaigns": [...], "activate": false}]}`.
    static func bulkBuy(_ body: JSONReader) throws(Problem) -> [CreateCampaignWithSubcampaigns] {
        let object = try body.object(allowing: ["items"])
        let items = try object.required("items").array()
        guard (1...maxBulkItems).contains(items.count) else { throw Problem.outOfRange("items", "1 to \(maxBulkItems) items") }
        var result: [CreateCampaignWithSubcampaigns] = []
        for item in items {
            let members = try item.object(allowing: campaignMembers.union(["subcampaigns", "activate"]))
            var subcampaigns: [NewSubcampaign] = []
            for subcampaign in try members.optional("subcampaigns")?.array() ?? [] {
                subcampaigns.append(try newSubcampaign(subcampaign, checkingValues: false))
            }
            result.append(CreateCampaignWithSubcampaigns(
                campaign: try createCampaign(members, checkingValues: false), subcampaigns: subcampaigns,
                activate: try members.optional("activate")?.bool() ?? false
            ))
        }
        return result
    }

    /// The most campaigns one bulk buy books.
    static let maxBulkItems = 100

    /// A command with no payload takes no body, or an empty object.
    static func requireEmpty(_ body: JSONReader?) throws(Problem) {
        _ = try body?.object(allowing: [])
    }

    // MARK: Values

    static func newSubcampaign(_ body: JSONReader, checkingValues: Bool = true) throws(Problem) -> NewSubcampaign {
        let object = try body.object(allowing: ["id", "targeting", "pricing", "shareBounds", "promotedItem"])
        return NewSubcampaign(
            id: try object.required("id").checked(SubcampaignID.init),
            targeting: try targeting(object.required("targeting"), checkingValues: checkingValues),
            pricing: try pricing(object.required("pricing"), checkingValues: checkingValues),
            shareBounds: try object.optional("shareBounds").map(shareBounds) ?? .unbounded,
            promotedItem: try promotedItem(object.required("promotedItem"))
        )
    }

    // What the document states of a value (a list of the catalog, a bound, a length) is
    // checked here, as the body is read, with the campaign rule's own problem type: so a
    // body the document refuses is refused before the campaign's state is looked at, never
    // with the 409 or 412 a closed or moved-on campaign would give.

    static func money(_ body: JSONReader, checkingValues: Bool = true) throws(Problem) -> Money {
        let object = try body.object(allowing: ["amountMinor", "currency"])
        let currency = try object.required("currency")
        let money = Money(amountMinor: try object.required("amountMinor").int64(), currency: Currency(try currency.string()))
        guard !checkingValues || Catalog.currencies.contains(money.currency) else {
            throw Problem(DomainError(.unknownCurrency, field: currency.path, "currency \"\(money.currency)\" is not an ISO 4217 code in circulation"))
        }
        return money
    }

    static func budget(_ body: JSONReader) throws(Problem) -> Money {
        let budget = try money(body)
        guard budget.amountMinor > 0 else {
            throw Problem(DomainError(.budgetNotPositive, field: JSONReader.join(body.path, "amountMinor"), "budget \(budget.amountMinor) must be positive"))
        }
        return budget
    }

    static func spend(_ body: JSONReader) throws(Problem) -> Money {
        let spend = try money(body)
        guard spend.amountMinor >= 0 else {
            throw Problem(DomainError(.negativeSpend, field: JSONReader.join(body.path, "amountMinor"), "spend \(spend.amountMinor) is negative"))
        }
        return spend
    }

    static func count(_ body: JSONReader) throws(Problem) -> Int64 {
        let value = try body.int64()
        guard value >= 0 else { throw Problem(DomainError(.negativeCount, field: body.path, "\(body.path) \(value) is negative")) }
        return value
    }

    /// 1 to 200 code points, as JSON Schema counts a length.
    static func name(_ body: JSONReader) throws(Problem) -> String {
        let name = try body.string()
        guard (1...200).contains(name.unicodeScalars.count) else {
            throw Problem(DomainError(.invalidValue, field: body.path, "name has \(name.unicodeScalars.count) code points; 1 to 200 are allowed"))
        }
        return name
    }

    static func flight(_ body: JSONReader) throws(Problem) -> Flight {
        let object = try body.object(allowing: ["start", "end"])
        return Flight(start: try object.required("start").checked(Timestamp.init), end: try object.required("end").checked(Timestamp.init))
    }

    static func targeting(_ body: JSONReader, checkingValues: Bool = true) throws(Problem) -> Targeting {
        let object = try body.object(allowing: ["markets", "surfaces", "segments"])
        return Targeting(
            markets: try catalogList(object.required("markets"), MarketKind.self, checkingValues),
            surfaces: try catalogList(object.required("surfaces"), SurfaceKind.self, checkingValues),
            segments: try catalogList(object.required("segments"), SegmentKind.self, checkingValues)
        )
    }

    /// At least one value, each from the catalog, none twice.
    private static func catalogList<Kind: CatalogKind>(
        _ body: JSONReader, _: Kind.Type, _ checkingValues: Bool
    ) throws(Problem) -> [CatalogValue<Kind>] {
        let values = try strings(body).map { CatalogValue<Kind>($0) }
        guard checkingValues else { return values }
        guard !values.isEmpty else { throw Problem(DomainError(.targetingEmpty, field: body.path, "targeting needs at least one \(Kind.name)")) }
        var seen: Set<CatalogValue<Kind>> = []
        for (index, value) in values.enumerated() {
            guard Kind.known.contains(value) else {
                throw Problem(DomainError(Kind.unknownCode, field: "\(body.path)[\(index)]", "\(Kind.name) \"\(value)\" is not in the catalog"))
            }
            guard seen.insert(value).inserted else {
                throw Problem(DomainError(.duplicateValue, field: "\(body.path)[\(index)]", "\(Kind.name) \"\(value)\" is listed twice"))
            }
        }
        return values
    }

    static func pricing(_ body: JSONReader, checkingValues: Bool = true) throws(Problem) -> Pricing {
        let object = try body.object(allowing: ["model", "amountMinor"])
        let model = try object.required("model").oneOf(Pricing.Model.self)
        let amount = try object.required("amountMinor")
        let amountMinor = try amount.int64()
        guard !checkingValues || amountMinor > 0 else { throw Problem(DomainError(.priceNotPositive, field: amount.path, "price \(amountMinor) must be positive")) }
        return Pricing(model: model, amountMinor: amountMinor)
    }

    static func shareBounds(_ body: JSONReader) throws(Problem) -> ShareBounds {
        let object = try body.object(allowing: ["minimumBasisPoints", "maximumBasisPoints"])
        let whole = ShareBounds.wholeBudgetBasisPoints
        return ShareBounds(
            minimumBasisPoints: try object.optional("minimumBasisPoints")?.int(in: 0...whole),
            maximumBasisPoints: try object.optional("maximumBasisPoints")?.int(in: 0...whole)
        )
    }

    static func promotedItem(_ body: JSONReader) throws(Problem) -> PromotedItem {
        let object = try body.object(allowing: ["kind", "id"])
        let kind = try object.required("kind")
        switch try kind.string() {
        case "track": return .track(try object.required("id").checked(TrackID.init))
        case "creative": return .creative(try object.required("id").checked(CreativeID.init))
        case let other: throw Problem(DomainError(.invalidValue, field: kind.path, "'\(other)' is not one of track, creative"))
        }
    }

    private static func strings(_ body: JSONReader?) throws(Problem) -> [String] {
        guard let body else { return [] }
        var result: [String] = []
        for item in try body.array() { result.append(try item.string()) }
        return result
    }
}

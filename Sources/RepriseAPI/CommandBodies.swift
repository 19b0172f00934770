import RepriseDomain

// Request bodies, read strictly into the domain's command types. Member names match the
// domain's field paths, so a `DomainError.field` names the member the client sent.

enum CommandBodies {
    static func createCampaign(_ body: JSONReader) throws(Problem) -> CreateCampaign {
        try createCampaign(body.object(allowing: campaignMembers))
    }

    static let campaignMembers: Set<String> = ["campaignId", "ownerId", "name", "objective", "budget", "flight", "pacingMode"]

    static func createCampaign(_ object: JSONObjectReader) throws(Problem) -> CreateCampaign {
        CreateCampaign(
            campaignID: try object.required("campaignId").checked(CampaignID.init),
            ownerID: try object.required("ownerId").checked(OwnerID.init),
            name: try object.required("name").string(),
            objective: try object.required("objective").oneOf(Objective.self),
            budget: try money(object.required("budget")),
            flight: try flight(object.required("flight")),
            pacingMode: try object.required("pacingMode").oneOf(PacingMode.self)
        )
    }

    static func changeBudget(_ campaignID: CampaignID, _ body: JSONReader) throws(Problem) -> CampaignCommand {
        let object = try body.object(allowing: ["budget"])
        return .changeBudget(ChangeBudget(campaignID: campaignID, budget: try money(object.required("budget"))))
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
            impressions: try object.required("impressions").int64(),
            reachEstimate: try object.required("reachEstimate").int64(),
            clicks: try object.required("clicks").int64(),
            conversions: try object.required("conversions").int64(),
            spend: try money(object.required("spend"))
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
                subcampaigns.append(try newSubcampaign(subcampaign))
            }
            result.append(CreateCampaignWithSubcampaigns(
                campaign: try createCampaign(members), subcampaigns: subcampaigns,
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

    static func newSubcampaign(_ body: JSONReader) throws(Problem) -> NewSubcampaign {
        let object = try body.object(allowing: ["id", "targeting", "pricing", "shareBounds", "promotedItem"])
        return NewSubcampaign(
            id: try object.required("id").checked(SubcampaignID.init),
            targeting: try targeting(object.required("targeting")),
            pricing: try pricing(object.required("pricing")),
            shareBounds: try object.optional("shareBounds").map(shareBounds) ?? .unbounded,
            promotedItem: try promotedItem(object.required("promotedItem"))
        )
    }

    static func money(_ body: JSONReader) throws(Problem) -> Money {
        let object = try body.object(allowing: ["amountMinor", "currency"])
        return Money(
            amountMinor: try object.required("amountMinor").int64(),
            currency: Currency(try object.required("currency").string())
        )
    }

    static func flight(_ body: JSONReader) throws(Problem) -> Flight {
        let object = try body.object(allowing: ["start", "end"])
        return Flight(start: try object.required("start").checked(Timestamp.init), end: try object.required("end").checked(Timestamp.init))
    }

    static func targeting(_ body: JSONReader) throws(Problem) -> Targeting {
        let object = try body.object(allowing: ["markets", "surfaces", "segments"])
        return Targeting(
            markets: try strings(object.required("markets")).map { Market($0) },
            surfaces: try strings(object.required("surfaces")).map { Surface($0) },
            segments: try strings(object.required("segments")).map { Segment($0) }
        )
    }

    static func pricing(_ body: JSONReader) throws(Problem) -> Pricing {
        let object = try body.object(allowing: ["model", "amountMinor"])
        return Pricing(model: try object.required("model").oneOf(Pricing.Model.self), amountMinor: try object.required("amountMinor").int64())
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

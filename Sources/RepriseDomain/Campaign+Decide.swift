// Deciding a command: check it against the campaign as it stands, then either reject it with
// a `DomainError` or say which events it causes. Nothing here changes state; `evolve` does.
//
// A command that would change nothing (a budget set to what it already is, a delivery report
// sent again) decides to no events: retries are safe. A status change that makes no sense
// (resume while active) is rejected, since the caller's picture of the campaign is wrong.

extension Campaign {
    /// The events `command` causes for the campaign `state` (nil: no such campaign yet).
    public static func decide(
        _ command: CampaignCommand, state: Campaign?, context: CommandContext
    ) throws(DomainError) -> [CampaignEvent] {
        if case .create(let create) = command {
            if let state {
                throw DomainError(.campaignAlreadyExists, field: "campaignId", "campaign \(state.id) already exists")
            }
            return try decideCreate(create, context: context)
        }
        guard let campaign = state else {
            throw DomainError(.campaignNotFound, "campaign \(command.campaignID) does not exist")
        }
        guard campaign.id == command.campaignID else {
            throw DomainError(
                .invalidValue, field: "campaignId",
                "command for campaign \(command.campaignID) was decided against campaign \(campaign.id)"
            )
        }
        // An accepted report sent again is a no-op even on a closed campaign: the delivery
        // side retries until it hears back, and a retry must never look like a failure.
        if case .reportDelivery(let report) = command, try campaign.isRepeat(report.report) {
            return []
        }
        guard !campaign.status.isClosed else {
            throw DomainError(.campaignClosed, "campaign \(campaign.id) is \(campaign.status); it accepts no changes")
        }
        return try campaign.decideOpen(command, context: context)
    }

    private func decideOpen(_ command: CampaignCommand, context: CommandContext) throws(DomainError) -> [CampaignEvent] {
        switch command {
        case .create:
            // Unreachable: `decide` answers `create` before it gets here.
            throw DomainError(.campaignAlreadyExists, field: "campaignId", "campaign \(id) already exists")
        case .changeBudget(let command): return try decideChangeBudget(command)
        case .changeFlight(let command): return try decideChangeFlight(command, context: context)
        case .activate: return try decideActivate(context: context)
        case .pause: return try decidePause()
        case .resume: return try decideResume(context: context)
        case .cancel: return [.campaignCancelled(CampaignCancelled(campaignID: id))]
        case .end: return try decideEnd(context: context)
        case .addSubcampaign(let command): return try decideAddSubcampaign(command.subcampaign, context: context)
        case .changeTargeting(let command): return try decideChangeTargeting(command, context: context)
        case .changePrice(let command): return try decideChangePrice(command)
        case .changeBudgetBounds(let command): return try decideChangeBudgetBounds(command)
        case .pauseSubcampaign(_, let subcampaignID): return try decidePauseSubcampaign(subcampaignID)
        case .resumeSubcampaign(_, let subcampaignID): return try decideResumeSubcampaign(subcampaignID)
        case .removeSubcampaign(_, let subcampaignID): return try decideRemoveSubcampaign(subcampaignID)
        case .reportDelivery(let command): return try decideDelivery(command.report)
        }
    }

    // MARK: Campaign commands

    private static func decideCreate(_ command: CreateCampaign, context: CommandContext) throws(DomainError) -> [CampaignEvent] {
        try checkName(command.name)
        try inField("budget") { () throws(DomainError) in try command.budget.checkBudget() }
        try inField("flight") { () throws(DomainError) in
            try command.flight.check(now: context.issuedAt)
            try command.flight.checkStart(now: context.issuedAt, rules: context.rules)
        }
        if let open = context.openCampaigns?[command.ownerID, default: 0], open >= context.rules.maxOpenCampaignsPerOwner {
            throw DomainError(
                .tooManyOpenCampaigns, field: "ownerId",
                "owner \(command.ownerID) has \(open) open campaigns; the limit is \(context.rules.maxOpenCampaignsPerOwner) (end or cancel one first)"
            )
        }
        return [.campaignCreated(CampaignCreated(
            campaignID: command.campaignID, ownerID: command.ownerID, name: command.name,
            objective: command.objective, budget: command.budget, flight: command.flight,
            pacingMode: command.pacingMode
        ))]
    }

    private static func checkName(_ name: String) throws(DomainError) {
        guard !name.allSatisfy(\.isWhitespace) else {
            throw DomainError(.invalidValue, field: "name", "name must not be blank")
        }
        // Counted in Unicode code points, as JSON Schema's maxLength counts them.
        guard name.unicodeScalars.count <= 200 else {
            throw DomainError(
                .invalidValue, field: "name",
                "name has \(name.unicodeScalars.count) code points; at most 200 are allowed"
            )
        }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw DomainError(.invalidValue, field: "name", "name must not contain control characters")
        }
    }

    private func decideChangeBudget(_ command: ChangeBudget) throws(DomainError) -> [CampaignEvent] {
        try inField("budget") { () throws(DomainError) in
            try command.budget.checkSameCurrency(as: budget)
            try command.budget.checkBudget()
        }
        guard command.budget.amountMinor >= spent.amountMinor else {
            throw DomainError(
                .budgetBelowSpent, field: "budget.amountMinor",
                "budget \(command.budget.amountMinor) is below the \(spent.amountMinor) already spent"
            )
        }
        guard command.budget != budget else { return [] }
        return [.campaignBudgetChanged(CampaignBudgetChanged(campaignID: id, budget: command.budget))]
    }

    private func decideChangeFlight(_ command: ChangeFlight, context: CommandContext) throws(DomainError) -> [CampaignEvent] {
        try inField("flight") { () throws(DomainError) in
            try command.flight.check(now: context.issuedAt)
            // Only a moved start is judged: a flight that began keeps its start.
            if command.flight.start != flight.start {
                try command.flight.checkStart(now: context.issuedAt, rules: context.rules)
            }
        }
        guard command.flight != flight else { return [] }
        return [.campaignFlightChanged(CampaignFlightChanged(campaignID: id, flight: command.flight))]
    }

    private func decideActivate(context: CommandContext) throws(DomainError) -> [CampaignEvent] {
        try requireStatus(.draft, toPerform: "activate")
        try requireFlightNotOver(context: context, toPerform: "activate")
        guard subcampaigns.contains(where: { $0.status == .active }) else {
            throw DomainError(
                .noActiveSubcampaign, "campaign \(id) has no active subcampaign, so it would deliver nothing"
            )
        }
        return [.campaignActivated(CampaignActivated(campaignID: id))]
    }

    private func decidePause() throws(DomainError) -> [CampaignEvent] {
        try requireStatus(.active, toPerform: "pause")
        return [.campaignPaused(CampaignPaused(campaignID: id))]
    }

    private func decideResume(context: CommandContext) throws(DomainError) -> [CampaignEvent] {
        try requireStatus(.paused, toPerform: "resume")
        try requireFlightNotOver(context: context, toPerform: "resume")
        return [.campaignResumed(CampaignResumed(campaignID: id))]
    }

    private func decideEnd(context: CommandContext) throws(DomainError) -> [CampaignEvent] {
        // Ending is the natural close of a flight; stopping early is `cancel`.
        guard context.issuedAt >= flight.end else {
            throw DomainError(
                .flightNotOver, "campaign \(id) cannot end at \(context.issuedAt): its flight runs until \(flight.end)"
            )
        }
        return [.campaignEnded(CampaignEnded(campaignID: id, endedAt: context.issuedAt))]
    }

    private func requireStatus(_ required: CampaignStatus, toPerform action: String) throws(DomainError) {
        guard status == required else {
            throw DomainError(
                .invalidStatusTransition,
                "cannot \(action) campaign \(id): it is \(status), and only a \(required) campaign can be told to \(action)"
            )
        }
    }

    private func requireFlightNotOver(context: CommandContext, toPerform action: String) throws(DomainError) {
        guard flight.end > context.issuedAt else {
            throw DomainError(
                .flightAlreadyOver, "cannot \(action) campaign \(id): its flight ended at \(flight.end)"
            )
        }
    }
}

/// Runs `body`, and reports any error it throws as being inside `field`.
func inField<T>(_ field: String, _ body: () throws(DomainError) -> T) throws(DomainError) -> T {
    do {
        return try body()
    } catch {
        throw error.at(field)
    }
}

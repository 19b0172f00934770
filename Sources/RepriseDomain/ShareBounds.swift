/// Optional limits on a subcampaign's share of its campaign's budget, in basis points
/// (1 bp = 0.01 %, so 10 000 bp is the whole budget).
///
/// Shares are relative, so a budget change never breaks them: the sum of minimums only has
/// to fit in 10 000 bp, and it is checked when a subcampaign is added or its bounds change.
public struct ShareBounds: Hashable, Sendable, Codable, CustomStringConvertible {
    public var minimumBasisPoints: Int?
    public var maximumBasisPoints: Int?

    public init(minimumBasisPoints: Int? = nil, maximumBasisPoints: Int? = nil) {
        self.minimumBasisPoints = minimumBasisPoints
        self.maximumBasisPoints = maximumBasisPoints
    }

    /// No bounds: the subcampaign gets whatever share the allocation gives it.
    public static let unbounded = ShareBounds()

    public static let wholeBudgetBasisPoints = 10_000

    /// The minimum that counts towards the campaign's reserved share.
    public var reservedBasisPoints: Int { minimumBasisPoints ?? 0 }

    public var description: String {
        "\(minimumBasisPoints.map(String.init) ?? "–")…\(maximumBasisPoints.map(String.init) ?? "–") bp"
    }

    func check() throws(DomainError) {
        let range = 0...ShareBounds.wholeBudgetBasisPoints
        for (name, value) in [("minimumBasisPoints", minimumBasisPoints), ("maximumBasisPoints", maximumBasisPoints)] {
            if let value, !range.contains(value) {
                throw DomainError(.shareBoundsInvalid, field: name, "\(name) \(value) is outside 0…10000")
            }
        }
        if let minimum = minimumBasisPoints, let maximum = maximumBasisPoints, minimum > maximum {
            throw DomainError(
                .shareBoundsInvalid, field: "minimumBasisPoints",
                "minimum share \(minimum) bp is above the maximum \(maximum) bp"
            )
        }
    }
}

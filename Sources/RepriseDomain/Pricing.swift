/// What a subcampaign pays: per thousand impressions (CPM) or per click (CPC), in minor
/// units of the campaign's currency.
public struct Pricing: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The two ways to price a subcampaign.
    public enum Model: String, Hashable, Sendable, Codable, CaseIterable {
        case cpm
        case cpc
    }

    public var model: Model
    public var amountMinor: Int64

    public init(model: Model, amountMinor: Int64) {
        self.model = model
        self.amountMinor = amountMinor
    }

    public static func cpm(_ amountMinor: Int64) -> Pricing { Pricing(model: .cpm, amountMinor: amountMinor) }
    public static func cpc(_ amountMinor: Int64) -> Pricing { Pricing(model: .cpc, amountMinor: amountMinor) }

    public var description: String { "\(model.rawValue.uppercased()) \(amountMinor)" }

    func check() throws(DomainError) {
        guard amountMinor > 0 else {
            throw DomainError(
                .priceNotPositive, field: "amountMinor",
                "\(model.rawValue.uppercased()) price \(amountMinor) must be positive"
            )
        }
    }
}

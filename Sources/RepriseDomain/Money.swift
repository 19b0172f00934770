/// An amount in integer minor units (cents, öre, yen) of one currency; never floating point.
public struct Money: Hashable, Sendable, Codable, CustomStringConvertible {
    public var amountMinor: Int64
    public var currency: Currency

    public init(amountMinor: Int64, currency: Currency) {
        self.amountMinor = amountMinor
        self.currency = currency
    }

    public static func zero(_ currency: Currency) -> Money { Money(amountMinor: 0, currency: currency) }

    public var description: String { "\(amountMinor) \(currency) minor units" }

    /// A campaign budget: a known currency and a positive amount.
    func checkBudget() throws(DomainError) {
        do {
            try currency.checkKnown()
        } catch {
            throw error.at("currency")
        }
        guard amountMinor > 0 else {
            throw DomainError(.budgetNotPositive, field: "amountMinor", "budget \(amountMinor) must be positive")
        }
    }

    func checkSameCurrency(as other: Money) throws(DomainError) {
        guard currency == other.currency else {
            throw DomainError(
                .currencyMismatch, field: "currency",
                "currency \(currency) differs from the campaign's \(other.currency); a campaign's currency never changes"
            )
        }
    }
}

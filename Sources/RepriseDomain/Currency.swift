/// An ISO 4217 currency code such as `EUR`.
///
/// Any text can be held, so events written under an older list still decode; commands are
/// checked against `Catalog.currencies` when they are decided.
public struct Currency: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ code: String) { self.rawValue = code }

    public var description: String { rawValue }

    public static func < (lhs: Currency, rhs: Currency) -> Bool { lhs.rawValue < rhs.rawValue }

    func checkKnown() throws(DomainError) {
        guard Catalog.currencies.contains(self) else {
            throw DomainError(.unknownCurrency, "currency \"\(rawValue)\" is not an ISO 4217 code in circulation")
        }
    }
}

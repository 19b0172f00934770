import RepriseDomain

// Literals for the domain's value types, so tests read like the data they describe.
// A malformed literal is a bug in the test itself, so it stops the run at once.
// They live here, once, because every test target links into one test binary.

extension Identifier: ExpressibleByStringLiteral, ExpressibleByUnicodeScalarLiteral,
    ExpressibleByExtendedGraphemeClusterLiteral
{
    public init(stringLiteral value: String) {
        do { try self.init(value) } catch { preconditionFailure("bad id literal: \(error)") }
    }
}

extension Timestamp: ExpressibleByStringLiteral, ExpressibleByUnicodeScalarLiteral,
    ExpressibleByExtendedGraphemeClusterLiteral
{
    public init(stringLiteral value: String) {
        do { try self.init(value) } catch { preconditionFailure("bad timestamp literal: \(error)") }
    }
}

extension CatalogValue: ExpressibleByStringLiteral, ExpressibleByUnicodeScalarLiteral,
    ExpressibleByExtendedGraphemeClusterLiteral
{
    public init(stringLiteral value: String) { self.init(value) }
}

extension Currency: ExpressibleByStringLiteral, ExpressibleByUnicodeScalarLiteral,
    ExpressibleByExtendedGraphemeClusterLiteral
{
    public init(stringLiteral value: String) { self.init(value) }
}

import Foundation

/// A Swift value that can be sent as a bind parameter.
///
/// Conform your own types by appending to the bindings, usually the text form
/// PostgreSQL would accept in a literal:
/// ```swift
/// extension StreamID: PostgresEncodable {
///     public func encode(into bindings: inout PostgresBindings) { bindings.appendText(rawValue) }
/// }
/// ```
public protocol PostgresEncodable: Sendable {
    /// Appends exactly one parameter.
    func encode(into bindings: inout PostgresBindings)
}

// Scalars go as untyped text, so the server reads them as whatever the statement needs
// (`WHERE small_column = $1` works with an `Int`), just as it would read a literal.

extension String: PostgresEncodable {
    public func encode(into bindings: inout PostgresBindings) {
        bindings.appendText(self)
    }
}

extension PostgresEncodable where Self: FixedWidthInteger {
    public func encode(into bindings: inout PostgresBindings) {
        bindings.appendText(String(self))
    }
}

extension Int: PostgresEncodable {}
extension Int64: PostgresEncodable {}
extension Int32: PostgresEncodable {}
extension Int16: PostgresEncodable {}

extension Bool: PostgresEncodable {
    public func encode(into bindings: inout PostgresBindings) {
        bindings.appendText(self ? "t" : "f")
    }
}

extension Double: PostgresEncodable {
    public func encode(into bindings: inout PostgresBindings) {
        bindings.appendText(PostgresFloatText.format(self))
    }
}

extension Float: PostgresEncodable {
    public func encode(into bindings: inout PostgresBindings) {
        bindings.appendText(PostgresFloatText.format(self))
    }
}

extension UUID: PostgresEncodable {
    public func encode(into bindings: inout PostgresBindings) {
        bindings.appendText(uuidString, as: .uuid)
    }
}

extension Date: PostgresEncodable {
    /// Sent as `timestamptz` in UTC with microsecond precision, the column type's own precision.
    public func encode(into bindings: inout PostgresBindings) {
        if let text = PostgresTimestamp.format(self) {
            bindings.appendText(text, as: .timestamptz)
        } else {
            bindings.appendFailure("the date \(timeIntervalSinceReferenceDate)s after 2001 is outside PostgreSQL's timestamp range")
        }
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    /// `nil` is SQL NULL.
    public func encode(into bindings: inout PostgresBindings) {
        switch self {
        case .some(let value): value.encode(into: &bindings)
        case .none: bindings.appendNull()
        }
    }
}

/// Float text both ways; Swift's shortest round-tripping digits are what the server expects.
enum PostgresFloatText {
    static func format<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return value.description
    }

    static func parse<F: BinaryFloatingPoint & LosslessStringConvertible>(_ text: String) -> F? {
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return F(text)
        }
    }
}

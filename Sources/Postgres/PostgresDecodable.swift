import Foundation

/// A Swift value that can be read from a result column in PostgreSQL's text format.
public protocol PostgresDecodable: Sendable {
    /// Parses the server's text output for the column; `nil` if it is not a valid value of this type.
    init?(postgresText text: String)

    /// What SQL NULL decodes to, or `nil` if this type cannot represent NULL (the default).
    static var postgresNull: Self? { get }
}

extension PostgresDecodable {
    public static var postgresNull: Self? { nil }
}

extension String: PostgresDecodable {
    public init?(postgresText text: String) {
        self = text
    }
}

extension PostgresDecodable where Self: FixedWidthInteger {
    public init?(postgresText text: String) {
        self.init(text, radix: 10)
    }
}

extension Int: PostgresDecodable {}
extension Int64: PostgresDecodable {}
extension Int32: PostgresDecodable {}
extension Int16: PostgresDecodable {}

extension Bool: PostgresDecodable {
    public init?(postgresText text: String) {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: return nil
        }
    }
}

extension Double: PostgresDecodable {
    public init?(postgresText text: String) {
        guard let value: Double = PostgresFloatText.parse(text) else { return nil }
        self = value
    }
}

extension Float: PostgresDecodable {
    public init?(postgresText text: String) {
        guard let value: Float = PostgresFloatText.parse(text) else { return nil }
        self = value
    }
}

extension UUID: PostgresDecodable {
    public init?(postgresText text: String) {
        self.init(uuidString: text)
    }
}

extension Date: PostgresDecodable {
    public init?(postgresText text: String) {
        guard let date = PostgresTimestamp.parse(text) else { return nil }
        self = date
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init?(postgresText text: String) {
        guard let value = Wrapped(postgresText: text) else { return nil }
        self = .some(value)
    }

    /// NULL decodes to `.none`; the outer optional says "this type can hold NULL".
    public static var postgresNull: Wrapped?? { .some(.none) }
}

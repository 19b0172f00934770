import Foundation

/// A Swift value that can be read from a result column in PostgreSQL's text format.
public protocol PostgresDecodable: Sendable {
    /// Parses the server's text output for the column; `nil` if it is not a valid value of this type.
    init?(postgresText text: String)

    /// Reads the column's binary send format, for statements run with
    /// `PostgresResultFormat.binary`; `nil` if it is not a valid value of this type. The
    /// default refuses every binary value.
    init?(postgresBinary value: PostgresBinaryValue)

    /// What SQL NULL decodes to, or `nil` if this type cannot represent NULL (the default).
    static var postgresNull: Self? { get }
}

extension PostgresDecodable {
    public static var postgresNull: Self? { nil }

    public init?(postgresBinary value: PostgresBinaryValue) {
        nil
    }
}

extension String: PostgresDecodable {
    public init?(postgresText text: String) {
        self = text
    }

    /// Any textual column (`text`, `varchar`, `name`, `json`, …): its binary form is its UTF-8.
    public init?(postgresBinary value: PostgresBinaryValue) {
        guard value.isTextual else { return nil }
        self = value.string
    }
}

extension PostgresDecodable where Self: FixedWidthInteger {
    public init?(postgresText text: String) {
        self.init(text, radix: 10)
    }

    /// `int2`, `int4` or `int8`, whichever the column is, if the value fits.
    public init?(postgresBinary value: PostgresBinaryValue) {
        guard let wide = value.anyInteger, let narrow = Self(exactly: wide) else { return nil }
        self = narrow
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

    public init?(postgresBinary value: PostgresBinaryValue) {
        guard value.count == 1 else { return nil }
        self = value.bytes[0] != 0
    }
}

extension Double: PostgresDecodable {
    public init?(postgresText text: String) {
        guard let value: Double = PostgresFloatText.parse(text) else { return nil }
        self = value
    }

    /// `float8`, or `float4` widened.
    public init?(postgresBinary value: PostgresBinaryValue) {
        if let bits = value.integer(UInt64.self) {
            self = Double(bitPattern: bits)
        } else if let bits = value.integer(UInt32.self) {
            self = Double(Float(bitPattern: bits))
        } else {
            return nil
        }
    }
}

extension Float: PostgresDecodable {
    public init?(postgresText text: String) {
        guard let value: Float = PostgresFloatText.parse(text) else { return nil }
        self = value
    }

    public init?(postgresBinary value: PostgresBinaryValue) {
        guard let bits = value.integer(UInt32.self) else { return nil }
        self = Float(bitPattern: bits)
    }
}

extension UUID: PostgresDecodable {
    /// Parses the server's canonical form (`8-4-4-4-12` hex digits) by hand:
    /// `UUID(uuidString:)` goes through `sscanf`, which dominated profiles of log reads.
    public init?(postgresText text: String) {
        var bytes = [UInt8](repeating: 0, count: 16)
        var count = 0
        var high: UInt8?
        for character in text.utf8 {
            if character == UInt8(ascii: "-") { continue }
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = character - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let first = high {
                guard count < 16 else { return nil }
                bytes[count] = first << 4 | nibble
                count += 1
                high = nil
            } else {
                high = nibble
            }
        }
        guard count == 16, high == nil, text.utf8.count == 36 else { return nil }
        self.init(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        ))
    }

    /// The sixteen bytes as they are: no parsing at all.
    public init?(postgresBinary value: PostgresBinaryValue) {
        guard value.count == 16, value.type == .uuid else { return nil }
        let b = value.bytes
        self.init(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }
}

extension Date: PostgresDecodable {
    public init?(postgresText text: String) {
        guard let date = PostgresTimestamp.parse(text) else { return nil }
        self = date
    }

    /// `timestamptz` or `timestamp`: microseconds since 2000-01-01 UTC.
    public init?(postgresBinary value: PostgresBinaryValue) {
        guard value.type == .timestamptz || value.type.rawValue == 1114, let micros = value.integer(Int64.self) else { return nil }
        self = PostgresTimestamp.date(microsecondsSince2000: micros)
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init?(postgresText text: String) {
        guard let value = Wrapped(postgresText: text) else { return nil }
        self = .some(value)
    }

    public init?(postgresBinary value: PostgresBinaryValue) {
        guard let wrapped = Wrapped(postgresBinary: value) else { return nil }
        self = .some(wrapped)
    }

    /// NULL decodes to `.none`; the outer optional says "this type can hold NULL".
    public static var postgresNull: Wrapped?? { .some(.none) }
}

/// An element type whose Swift arrays can be bound and decoded: `[String]` is `text[]`,
/// `[Int64]` and `[Int]` are `int8[]`, and `[UInt8]` is `bytea`.
///
/// Swift allows only one conditional conformance of `Array` to a protocol, so the element type
/// decides how the whole array travels; that is how bytes and real arrays can share it.
public protocol PostgresArrayElement: Sendable {
    static func encodeArray(_ elements: [Self], into bindings: inout PostgresBindings)
    static func decodeArray(postgresText text: String) -> [Self]?
    /// The array from a binary-format result; the default refuses it.
    static func decodeArray(postgresBinary value: PostgresBinaryValue) -> [Self]?
}

extension PostgresArrayElement {
    public static func decodeArray(postgresBinary value: PostgresBinaryValue) -> [Self]? {
        nil
    }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public func encode(into bindings: inout PostgresBindings) {
        Element.encodeArray(self, into: &bindings)
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    public init?(postgresText text: String) {
        guard let elements = Element.decodeArray(postgresText: text) else { return nil }
        self = elements
    }

    public init?(postgresBinary value: PostgresBinaryValue) {
        guard let elements = Element.decodeArray(postgresBinary: value) else { return nil }
        self = elements
    }
}

extension UInt8: PostgresArrayElement {
    /// Binary format: the bytes go as they are, no hex doubling the size.
    public static func encodeArray(_ elements: [UInt8], into bindings: inout PostgresBindings) {
        bindings.appendBinary(elements, as: .bytea)
    }

    public static func decodeArray(postgresText text: String) -> [UInt8]? {
        PostgresByteaText.parse(text)
    }

    /// A `bytea`'s bytes as they are, or, for a textual column (`text`, `json`, …), its
    /// UTF-8: in binary results both arrive as plain bytes, so a `data::text` column needs
    /// no `String` on the way to `[UInt8]`.
    public static func decodeArray(postgresBinary value: PostgresBinaryValue) -> [UInt8]? {
        guard value.type == .bytea || value.isTextual else { return nil }
        return value.array
    }
}

extension String: PostgresArrayElement {
    public static func encodeArray(_ elements: [String], into bindings: inout PostgresBindings) {
        bindings.appendText(PostgresArrayLiteral.format(elements), as: .textArray)
    }

    public static func decodeArray(postgresText text: String) -> [String]? {
        guard let elements = PostgresArrayLiteral.parse(text) else { return nil }
        return elements.allSatisfy { $0 != nil } ? elements.map { $0! } : nil
    }
}

extension Int64: PostgresArrayElement {
    public static func encodeArray(_ elements: [Int64], into bindings: inout PostgresBindings) {
        bindings.appendText(PostgresArrayLiteral.format(elements.map(String.init)), as: .int8Array)
    }

    public static func decodeArray(postgresText text: String) -> [Int64]? {
        PostgresArrayLiteral.parseAll(text, Int64.init)
    }
}

extension Int: PostgresArrayElement {
    public static func encodeArray(_ elements: [Int], into bindings: inout PostgresBindings) {
        bindings.appendText(PostgresArrayLiteral.format(elements.map(String.init)), as: .int8Array)
    }

    public static func decodeArray(postgresText text: String) -> [Int]? {
        PostgresArrayLiteral.parseAll(text, Int.init)
    }
}

/// One-dimensional array literals: `{"a","b\"c",NULL}`.
enum PostgresArrayLiteral {
    /// Quotes every element, so no content (commas, braces, `NULL`, spaces, "") can change the structure.
    static func format(_ elements: [String]) -> String {
        var literal = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { literal.append(",") }
            literal.append("\"")
            for scalar in element.unicodeScalars {
                if scalar == "\"" || scalar == "\\" { literal.append("\\") }
                literal.unicodeScalars.append(scalar)
            }
            literal.append("\"")
        }
        return literal + "}"
    }

    static func parseAll<T>(_ text: String, _ convert: (String) -> T?) -> [T]? {
        guard let elements = parse(text) else { return nil }
        var values: [T] = []
        values.reserveCapacity(elements.count)
        for element in elements {
            guard let element, let value = convert(element) else { return nil }
            values.append(value)
        }
        return values
    }

    /// The server's output: elements quoted only when needed, unquoted `NULL` for NULL.
    /// Multi-dimensional arrays and explicit bounds (`[0:1]={…}`) are not supported.
    static func parse(_ text: String) -> [String?]? {
        let bytes = Array(text.utf8)
        guard bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return nil }
        var elements: [String?] = []
        var index = 1
        let end = bytes.count - 1
        if index == end { return [] }

        // UTF-8 continuation bytes are never ASCII, so scanning bytes for delimiters is safe.
        while index <= end {
            var element: [UInt8] = []
            var quoted = false
            if bytes[index] == UInt8(ascii: "\"") {
                quoted = true
                index += 1
                while index < end, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\") { index += 1 }
                    guard index < end else { return nil }
                    element.append(bytes[index])
                    index += 1
                }
                guard index < end else { return nil }
                index += 1
            } else {
                while index < end, bytes[index] != UInt8(ascii: ",") {
                    if bytes[index] == UInt8(ascii: "{") || bytes[index] == UInt8(ascii: "\"") { return nil }
                    element.append(bytes[index])
                    index += 1
                }
            }
            let value = String(decoding: element, as: UTF8.self)
            elements.append(!quoted && value.uppercased() == "NULL" ? nil : value)
            // Now at a comma (another element follows) or at the closing brace.
            guard index == end || bytes[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
        return elements
    }
}

/// `bytea` text output in hex format (`\x0aff`), pinned with `bytea_output=hex` at connect.
enum PostgresByteaText {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func format(_ bytes: [UInt8]) -> String {
        var text: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        text.reserveCapacity(2 + bytes.count * 2)
        for byte in bytes {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func parse(_ text: String) -> [UInt8]? {
        let hex = Array(text.utf8)
        guard hex.count >= 2, hex[0] == UInt8(ascii: "\\"), hex[1] == UInt8(ascii: "x"), hex.count % 2 == 0 else {
            return nil
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((hex.count - 2) / 2)
        var index = 2
        while index < hex.count {
            guard let high = nibble(hex[index]), let low = nibble(hex[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

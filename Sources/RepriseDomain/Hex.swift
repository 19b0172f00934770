/// Lowercase hexadecimal, two digits a byte: how Reprise writes every hash and digest, in
/// events, NATS headers, the keys file and migration checksums.
///
/// The one copy for all modules above the domain. `Postgres` keeps its own for `bytea`, as
/// the wrapper depends on none of ours; escapes that want uppercase digits (percent-encoded
/// headers, key-value keys) write their own single byte.
public enum Hex {
    /// `[0x0a, 0xff]` → `"0aff"`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var text = [UInt8]()
        text.reserveCapacity(bytes.underestimatedCount * 2)
        append(bytes, to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends the digits of `bytes` as UTF-8, for encoders that build bytes, not strings.
    /// Inlinable so that callers in other modules (the relay's message headers, thousands a
    /// second) get it specialized: unspecialized, its generic metadata look-ups were the top
    /// entry of the relay's profile.
    @inlinable
    public static func append(_ bytes: some Sequence<UInt8>, to text: inout [UInt8]) {
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
    }

    /// `"0aff"` (or `"0AFF"`) → `[0x0a, 0xff]`; nil for an odd length or a non-hex digit.
    public static func decode(_ text: String) -> [UInt8]? {
        decode(utf8: text.utf8)
    }

    /// The same from UTF-8 bytes (a slice of a header, say).
    public static func decode(utf8 text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(text.count / 2)
        var index = text.startIndex
        while index != text.endIndex {
            let next = text.index(after: index)
            guard let high = nibble(text[index]), let low = nibble(text[next]) else { return nil }
            bytes.append(high << 4 | low)
            index = text.index(after: next)
        }
        return bytes
    }

    @usableFromInline static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The value of one hex digit, either case.
    public static func nibble(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): char - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

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
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// `"0aff"` (or `"0AFF"`) → `[0x0a, 0xff]`; nil for an odd length or a non-hex digit.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static let digits = Array("0123456789abcdef".utf8)

    private static func nibble(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): char - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

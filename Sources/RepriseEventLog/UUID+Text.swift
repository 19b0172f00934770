import Foundation
import RepriseDomain

extension UUID {
    /// The lowercase canonical text, as PostgreSQL prints a uuid and the hash chain covers it.
    /// Not `uuidString`: that formats through `printf`, which showed in profiles.
    public var lowercasedText: String {
        let u = uuid
        let bytes = [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15]
        return Hex.encode(bytes[0..<4]) + "-" + Hex.encode(bytes[4..<6]) + "-" + Hex.encode(bytes[6..<8])
            + "-" + Hex.encode(bytes[8..<10]) + "-" + Hex.encode(bytes[10..<16])
    }
}

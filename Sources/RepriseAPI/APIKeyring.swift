import Crypto
import Foundation
import RepriseDomain

/// What a caller may do.
public enum Role: String, Sendable, CaseIterable {
    /// Commands and reads for its own owner accounts only.
    case campaignManager = "campaign-manager"
    /// Delivery reports only.
    case deliveryReporter = "delivery-reporter"
    /// Reads everything, history included; changes nothing.
    case auditor
    case admin
}

/// An authenticated caller: the role of its key, and for a campaign manager its owners.
public struct Principal: Sendable, Equatable {
    public let role: Role
    public let owners: Set<OwnerID>
    /// Names the key in events and logs without revealing it: the first 12 hex digits of its hash.
    public let keyID: String

    public init(role: Role, owners: Set<OwnerID>, keyID: String) {
        self.role = role
        self.owners = owners
        self.keyID = keyID
    }

    var actor: String { "api-key:\(keyID)" }
}

/// Why a keys file was refused.
public struct APIKeyringError: Error, Sendable, CustomStringConvertible {
    public let line: Int
    public let reason: String
    public var description: String { "API keys, line \(line): \(reason)" }
}

/// The operator's API keys, held only as SHA-256 hashes.
///
/// The keys file has one key a line: `<sha256 hex of the key> <role> [owner1,owner2]`;
/// blank lines and lines starting with `#` are ignored. `reprise api-key hash < key-file` prints
/// the hash of a key.
public struct APIKeyring: Sendable {
    private let principalsByHash: [String: Principal]

    public init(principalsByHash: [String: Principal]) {
        self.principalsByHash = principalsByHash
    }

    /// A keyring from keys in the clear; for tests and tools.
    public init(keys: [String: (Role, Set<OwnerID>)]) {
        var principals: [String: Principal] = [:]
        for (key, (role, owners)) in keys {
            let hash = APIKeyring.hash(key)
            principals[hash] = Principal(role: role, owners: owners, keyID: String(hash.prefix(12)))
        }
        self.init(principalsByHash: principals)
    }

    public init(parsing text: String) throws(APIKeyringError) {
        var principals: [String: Principal] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard (2...3).contains(parts.count) else {
                throw APIKeyringError(line: index + 1, reason: "expected '<sha256 hex> <role> [owner1,owner2]'")
            }
            let hash = parts[0].lowercased()
            guard hash.count == 64, hash.allSatisfy(\.isHexDigit) else {
                throw APIKeyringError(line: index + 1, reason: "the hash must be 64 hex digits")
            }
            guard let role = Role(rawValue: parts[1]) else {
                throw APIKeyringError(line: index + 1, reason: "role '\(parts[1])' is not one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var owners = Set<OwnerID>()
            for owner in parts.count == 3 ? parts[2].split(separator: ",").map(String.init) : [] {
                guard let id = try? OwnerID(owner) else { throw APIKeyringError(line: index + 1, reason: "'\(owner)' is not an owner id") }
                owners.insert(id)
            }
            if role == .campaignManager, owners.isEmpty {
                throw APIKeyringError(line: index + 1, reason: "a campaign-manager key needs its owner ids")
            }
            principals[hash] = Principal(role: role, owners: owners, keyID: String(hash.prefix(12)))
        }
        self.init(principalsByHash: principals)
    }

    /// The caller behind `Authorization: Bearer <key>`, or nil for a missing or unknown key.
    func principal(authorization: String?) -> Principal? {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let key = parts[1].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { return nil }
        return principalsByHash[APIKeyring.hash(key)]
    }

    /// The role of the key in an `Authorization` value; for tools and tests.
    public func role(ofBearer authorization: String) -> Role? {
        principal(authorization: authorization)?.role
    }

    /// The hex SHA-256 of a key: what the keys file holds. Also names idempotency scopes.
    public static func hash(_ key: String) -> String {
        Hex.encode(SHA256.hash(data: Data(key.utf8)))
    }
}

/// A caller-supplied id of one kind, checked against `Identifier.pattern` when it is made
/// or decoded, so every id in a command or an event is safe to put in a stream id or a URL.
///
/// The `Kind` parameter only keeps kinds apart: a `CampaignID` is not a `SubcampaignID`.
public struct Identifier<Kind: IdentifierKind>: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The textual form of every id: `^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`.
    public static var pattern: String { "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$" }

    public let rawValue: String

    public init(_ rawValue: String) throws(DomainError) {
        guard Identifier.isValid(rawValue) else {
            throw DomainError(
                .invalidValue,
                "\(Kind.name) \"\(rawValue)\" must be 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
            )
        }
        self.rawValue = rawValue
    }

    public init(from decoder: any Decoder) throws {
        self = try decoder.decodeCheckedString { text throws(DomainError) in try Identifier(text) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    public static func < (lhs: Identifier, rhs: Identifier) -> Bool { lhs.rawValue < rhs.rawValue }

    static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, bytes.count <= 128, isAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
            || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}

/// Names one kind of id, for error messages.
public protocol IdentifierKind: Sendable {
    static var name: String { get }
}

// Tags that keep the kinds of `Identifier` apart; they have no values.

/// Tags a `CampaignID`.
public enum CampaignIDKind: IdentifierKind { public static let name = "campaign id" }
/// Tags a `SubcampaignID`.
public enum SubcampaignIDKind: IdentifierKind { public static let name = "subcampaign id" }
/// Tags an `OwnerID`.
public enum OwnerIDKind: IdentifierKind { public static let name = "owner id" }
/// Tags a `ReportID`.
public enum ReportIDKind: IdentifierKind { public static let name = "report id" }
/// Tags a `TrackID`.
public enum TrackIDKind: IdentifierKind { public static let name = "track id" }
/// Tags a `CreativeID`.
public enum CreativeIDKind: IdentifierKind { public static let name = "creative id" }

/// Identifies a campaign; its event stream is `Campaign.streamID(for:)`.
public typealias CampaignID = Identifier<CampaignIDKind>
/// Identifies a subcampaign (line item) within its campaign; never reused, even after removal.
public typealias SubcampaignID = Identifier<SubcampaignIDKind>
/// The artist or label account that owns a campaign.
public typealias OwnerID = Identifier<OwnerIDKind>
/// Identifies one delivery report, so a report delivered twice counts once.
public typealias ReportID = Identifier<ReportIDKind>
/// A track in the catalogue that a subcampaign promotes.
public typealias TrackID = Identifier<TrackIDKind>
/// A creative (an audio or visual ad asset) that a subcampaign promotes.
public typealias CreativeID = Identifier<CreativeIDKind>

extension Decoder {
    /// Decodes a string and checks it with `make`, so that stored JSON is held to the same
    /// rules as a command: a malformed value becomes a `DecodingError` naming its path.
    func decodeCheckedString<T>(_ make: (String) throws(DomainError) -> T) throws -> T {
        let container = try singleValueContainer()
        let text = try container.decode(String.self)
        do {
            return try make(text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }
}

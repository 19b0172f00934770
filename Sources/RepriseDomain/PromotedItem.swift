/// What a subcampaign promotes: a track from the catalogue, or a creative asset.
///
/// JSON: `{"kind": "track", "id": "…"}` or `{"kind": "creative", "id": "…"}`.
public enum PromotedItem: Hashable, Sendable, Codable, CustomStringConvertible {
    case track(TrackID)
    case creative(CreativeID)

    private enum Kind: String, Codable { case track, creative }
    private enum CodingKeys: String, CodingKey { case kind, id }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(Kind.self, forKey: .kind) {
        case .track: self = .track(try container.decode(TrackID.self, forKey: .id))
        case .creative: self = .creative(try container.decode(CreativeID.self, forKey: .id))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .track(let id):
            try container.encode(Kind.track, forKey: .kind)
            try container.encode(id, forKey: .id)
        case .creative(let id):
            try container.encode(Kind.creative, forKey: .kind)
            try container.encode(id, forKey: .id)
        }
    }

    public var description: String {
        switch self {
        case .track(let id): "track \(id)"
        case .creative(let id): "creative \(id)"
        }
    }
}

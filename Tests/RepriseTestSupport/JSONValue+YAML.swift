import RepriseDomain
import Yams

extension JSONValue {
    /// A YAML document (such as `schemas/openapi.yaml`) as the JSON it stands for, read by Yams.
    ///
    /// Plain scalars are typed by YAML 1.2's JSON schema: `null` (or nothing), `true`, `false`,
    /// integers and decimals; everything else, and every quoted scalar, is a string. Not
    /// YAML 1.1's wider rules, under which an enum value `no` or `on` would become a boolean.
    /// Anchors and aliases are refused: an OpenAPI document has no use for them here.
    public init(yaml text: String) throws {
        let resolver = try Resolver.basic
            .appending(.null, "^(?:null|~|)$")
            .appending(.bool, "^(?:true|false)$")
            .appending(.int, "^-?(?:0|[1-9][0-9]*)$")
            .appending(.float, "^-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$")
        guard let node = try Yams.compose(yaml: text, resolver) else {
            self = .null
            return
        }
        self = try JSONValue(node)
    }

    private init(_ node: Node) throws {
        switch node {
        case .scalar(let scalar):
            let text = scalar.string
            switch node.tag.description {
            case Tag.Name.null.rawValue: self = .null
            case Tag.Name.bool.rawValue: self = .bool(text == "true")
            case Tag.Name.int.rawValue:
                guard let value = Int64(text) else { throw YAMLValueError(node: node, reason: "integer out of range") }
                self = .integer(value)
            case Tag.Name.float.rawValue:
                guard let value = Double(text) else { throw YAMLValueError(node: node, reason: "not a number") }
                self = .number(value)
            default: self = .string(text)
            }
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard case .scalar(let name) = key else { throw YAMLValueError(node: key, reason: "a key must be a scalar") }
                guard members[name.string] == nil else { throw YAMLValueError(node: key, reason: "duplicate key \"\(name.string)\"") }
                members[name.string] = try JSONValue(value)
            }
            self = .object(members)
        case .sequence(let sequence):
            self = .array(try sequence.map { try JSONValue($0) })
        case .alias:
            throw YAMLValueError(node: node, reason: "aliases are not supported")
        }
    }
}

/// A YAML node that has no JSON equivalent.
public struct YAMLValueError: Error, CustomStringConvertible {
    public let line: Int?
    public let reason: String

    init(node: Node, reason: String) {
        self.line = node.mark?.line
        self.reason = reason
    }

    public var description: String { "line \(line.map(String.init) ?? "?"): \(reason)" }
}

import Foundation
import RepriseDomain

/// A JSON Schema (draft 2020-12) validator for the subset our schemas use, and no more.
///
/// A schema that uses any other keyword is refused outright rather than half-checked, so a
/// schema can never look stricter than what is enforced. Supported: type (with type arrays
/// for nullable), properties, required, additionalProperties, enum, const, pattern,
/// minimum, maximum, minLength, maxLength, items, minItems, maxItems, uniqueItems, `$ref`
/// (a JSON pointer into the same document: `#/$defs/…`, or `#/components/schemas/…` in an
/// OpenAPI document), oneOf, anyOf, allOf, and `unevaluatedProperties: false` (members
/// not named by `properties` here or in the schemas `allOf` and `$ref` bring in);
/// `format`, `default`, examples, titles, descriptions and ids are annotations.
public struct JSONSchemaValidator: Sendable {
    public struct UnsupportedSchema: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    private static let assertions: Set<String> = [
        "type", "properties", "required", "additionalProperties", "enum", "const", "pattern", "minimum", "maximum",
        "minLength", "maxLength", "items", "minItems", "maxItems", "uniqueItems", "$ref", "oneOf", "anyOf", "allOf",
        "unevaluatedProperties",
    ]
    private static let annotations: Set<String> = [
        "$schema", "$id", "$defs", "$comment", "title", "description", "format", "examples", "default",
    ]

    public let root: JSONValue
    /// Where `errors(in:)` starts: the root, or a schema inside a larger document.
    private let start: JSONValue

    public init(schema: JSONValue) throws {
        root = schema
        start = schema
        try Self.checkKeywords(schema, path: "#")
    }

    /// The schemas of a document that is not itself a schema (OpenAPI's
    /// `#/components/schemas`): each member of the object at `schemasAt` is checked as a
    /// schema, and `errors(in:schemaAt:)` validates against any schema in the document.
    public init(document: JSONValue, schemasAt pointer: String) throws {
        root = document
        start = .bool(true)
        guard case .object(let schemas)? = Self.resolve(pointer, in: document) else {
            throw UnsupportedSchema(description: "\(pointer) is not an object of schemas")
        }
        for (name, schema) in schemas { try Self.checkKeywords(schema, path: "\(pointer)/\(name)") }
    }

    public init(contentsOf url: URL) throws {
        try self.init(schema: JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url)))
    }

    /// Every way `instance` fails the schema, as "path: reason"; empty when it is valid.
    public func errors(in instance: JSONValue) -> [String] {
        var errors: [String] = []
        validate(instance, against: start, at: "$", into: &errors)
        return errors
    }

    /// Every way `instance` fails `schema`, a schema of this document (inline, or a `$ref`).
    public func errors(in instance: JSONValue, against schema: JSONValue) throws -> [String] {
        try Self.checkKeywords(schema, path: "(inline)")
        var errors: [String] = []
        validate(instance, against: schema, at: "$", into: &errors)
        return errors
    }

    /// The value at a JSON pointer such as `#/components/schemas/Campaign`.
    public static func resolve(_ pointer: String, in document: JSONValue) -> JSONValue? {
        guard pointer.hasPrefix("#") else { return nil }
        var value: JSONValue? = document
        for token in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            let name = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch value {
            case .object(let members)?: value = members[name]
            case .array(let items)?: value = Int(name).flatMap { items.indices.contains($0) ? items[$0] : nil }
            default: return nil
            }
        }
        return value
    }

    private static func checkKeywords(_ schema: JSONValue, path: String) throws {
        guard case .object(let members) = schema else {
            if case .bool = schema { return }
            throw UnsupportedSchema(description: "\(path) is not a schema")
        }
        for (keyword, value) in members {
            guard assertions.contains(keyword) || annotations.contains(keyword) else {
                throw UnsupportedSchema(description: "\(path) uses unsupported keyword \"\(keyword)\"")
            }
            switch keyword {
            case "properties", "$defs":
                guard case .object(let children) = value else { throw UnsupportedSchema(description: "\(path)/\(keyword)") }
                for (name, child) in children { try checkKeywords(child, path: "\(path)/\(keyword)/\(name)") }
            case "items", "additionalProperties":
                try checkKeywords(value, path: "\(path)/\(keyword)")
            case "unevaluatedProperties":
                guard case .bool(false) = value else {
                    throw UnsupportedSchema(description: "\(path) uses unevaluatedProperties other than false")
                }
            case "oneOf", "anyOf", "allOf":
                guard case .array(let children) = value else { throw UnsupportedSchema(description: "\(path)/\(keyword)") }
                for (index, child) in children.enumerated() { try checkKeywords(child, path: "\(path)/\(keyword)/\(index)") }
            case "$ref":
                guard case .string(let ref) = value, ref.hasPrefix("#/") else {
                    throw UnsupportedSchema(description: "\(path) has a $ref outside its document")
                }
            case "pattern":
                guard case .string(let pattern) = value, (try? Regex(pattern)) != nil else {
                    throw UnsupportedSchema(description: "\(path) has an invalid pattern")
                }
            default:
                break
            }
        }
    }

    private func validate(_ instance: JSONValue, against schema: JSONValue, at path: String, into errors: inout [String]) {
        if case .bool(let allowed) = schema {
            if !allowed { errors.append("\(path): not allowed") }
            return
        }
        guard case .object(let keywords) = schema else { return }

        if case .string(let ref)? = keywords["$ref"] {
            if let target = Self.resolve(ref, in: root) {
                validate(instance, against: target, at: path, into: &errors)
            } else {
                errors.append("\(path): $ref \(ref) does not resolve")
            }
        }
        if case .array(let parts)? = keywords["allOf"] {
            for part in parts { validate(instance, against: part, at: path, into: &errors) }
        }
        if let types = keywords["type"] {
            let allowed: [String] = switch types {
            case .string(let one): [one]
            case .array(let many): many.compactMap { if case .string(let name) = $0 { name } else { nil } }
            default: []
            }
            if !allowed.contains(where: { Self.hasType(instance, $0) }) {
                errors.append("\(path): expected \(allowed.joined(separator: " or ")), found \(Self.typeName(instance))")
                return
            }
        }
        if case .array(let options)? = keywords["enum"], !options.contains(instance) {
            errors.append("\(path): \(Self.show(instance)) is not one of \(options.map(Self.show))")
        }
        if let constant = keywords["const"], constant != instance {
            errors.append("\(path): \(Self.show(instance)) is not \(Self.show(constant))")
        }
        switch instance {
        case .string(let text): validateString(text, keywords, path, &errors)
        case .integer, .number: validateNumber(instance, keywords, path, &errors)
        case .array(let items): validateArray(items, keywords, path, &errors)
        case .object(let members): validateObject(members, keywords, path, &errors)
        case .null, .bool: break
        }
        if case .array(let options)? = keywords["oneOf"] {
            let matches = options.filter { option in
                var optionErrors: [String] = []
                validate(instance, against: option, at: path, into: &optionErrors)
                return optionErrors.isEmpty
            }.count
            if matches != 1 { errors.append("\(path): matches \(matches) of oneOf's \(options.count) schemas, not exactly 1") }
        }
        if case .array(let options)? = keywords["anyOf"] {
            let anyMatch = options.contains { option in
                var optionErrors: [String] = []
                validate(instance, against: option, at: path, into: &optionErrors)
                return optionErrors.isEmpty
            }
            if !anyMatch { errors.append("\(path): matches none of anyOf's schemas") }
        }
    }

    private func validateString(_ text: String, _ keywords: [String: JSONValue], _ path: String, _ errors: inout [String]) {
        // JSON Schema counts code points, not grapheme clusters.
        let length = text.unicodeScalars.count
        if case .integer(let minimum)? = keywords["minLength"], length < minimum {
            errors.append("\(path): shorter than \(minimum)")
        }
        if case .integer(let maximum)? = keywords["maxLength"], length > maximum {
            errors.append("\(path): longer than \(maximum)")
        }
        if case .string(let pattern)? = keywords["pattern"], let regex = try? Regex(pattern), text.firstMatch(of: regex) == nil {
            errors.append("\(path): \"\(text)\" does not match \(pattern)")
        }
    }

    private func validateNumber(_ value: JSONValue, _ keywords: [String: JSONValue], _ path: String, _ errors: inout [String]) {
        if let minimum = keywords["minimum"], Self.compare(value, minimum) == .orderedAscending {
            errors.append("\(path): \(Self.show(value)) is below the minimum \(Self.show(minimum))")
        }
        if let maximum = keywords["maximum"], Self.compare(value, maximum) == .orderedDescending {
            errors.append("\(path): \(Self.show(value)) is above the maximum \(Self.show(maximum))")
        }
    }

    private func validateArray(_ items: [JSONValue], _ keywords: [String: JSONValue], _ path: String, _ errors: inout [String]) {
        if case .integer(let minimum)? = keywords["minItems"], items.count < minimum {
            errors.append("\(path): fewer than \(minimum) items")
        }
        if case .integer(let maximum)? = keywords["maxItems"], items.count > maximum {
            errors.append("\(path): more than \(maximum) items")
        }
        if case .bool(true)? = keywords["uniqueItems"], Set(items).count != items.count {
            errors.append("\(path): items are not unique")
        }
        if let itemSchema = keywords["items"] {
            for (index, item) in items.enumerated() {
                validate(item, against: itemSchema, at: "\(path)[\(index)]", into: &errors)
            }
        }
    }

    private func validateObject(
        _ members: [String: JSONValue], _ keywords: [String: JSONValue], _ path: String, _ errors: inout [String]
    ) {
        if case .array(let required)? = keywords["required"] {
            for case .string(let name) in required where members[name] == nil {
                errors.append("\(path): missing required \"\(name)\"")
            }
        }
        if case .bool(false)? = keywords["unevaluatedProperties"] {
            let evaluated = evaluatedProperties(keywords)
            for name in members.keys.sorted() where evaluated.map({ !$0.contains(name) }) ?? false {
                errors.append("\(path): unexpected property \"\(name)\"")
            }
        }
        let properties: [String: JSONValue] = if case .object(let p)? = keywords["properties"] { p } else { [:] }
        for (name, value) in members.sorted(by: { $0.key < $1.key }) {
            if let propertySchema = properties[name] {
                validate(value, against: propertySchema, at: "\(path).\(name)", into: &errors)
            } else if let additional = keywords["additionalProperties"] {
                if case .bool(false) = additional {
                    errors.append("\(path): unexpected property \"\(name)\"")
                } else {
                    validate(value, against: additional, at: "\(path).\(name)", into: &errors)
                }
            }
        }
    }

    /// The member names a schema and the schemas it brings in through `allOf` and `$ref`
    /// name in `properties`; nil when one of them takes any member (`additionalProperties`).
    private func evaluatedProperties(_ keywords: [String: JSONValue]) -> Set<String>? {
        if keywords["additionalProperties"] != nil { return nil }
        var names: Set<String> = if case .object(let p)? = keywords["properties"] { Set(p.keys) } else { [] }
        var brought: [JSONValue] = []
        if case .array(let parts)? = keywords["allOf"] { brought += parts }
        if case .string(let ref)? = keywords["$ref"], let target = Self.resolve(ref, in: root) { brought.append(target) }
        for case .object(let subschema) in brought {
            guard let more = evaluatedProperties(subschema) else { return nil }
            names.formUnion(more)
        }
        return names
    }

    private static func hasType(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .integer), ("number", .integer), ("number", .number): true
        case ("integer", .number(let number)): number.rounded() == number
        default: false
        }
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    private static func compare(_ a: JSONValue, _ b: JSONValue) -> ComparisonResult {
        if case .integer(let x) = a, case .integer(let y) = b {
            return x < y ? .orderedAscending : x > y ? .orderedDescending : .orderedSame
        }
        let x = double(a), y = double(b)
        return x < y ? .orderedAscending : x > y ? .orderedDescending : .orderedSame
    }

    private static func double(_ value: JSONValue) -> Double {
        switch value {
        case .integer(let x): Double(x)
        case .number(let x): x
        default: .nan
        }
    }

    private static func show(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): "\"\(text)\""
        case .integer(let x): String(x)
        case .number(let x): String(x)
        case .bool(let x): String(x)
        case .null: "null"
        case .array, .object: typeName(value)
        }
    }
}

extension JSONSchemaValidator {
    /// The repository's `schemas/events/`, found from this file's place in the tree.
    public static let eventSchemaFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("schemas/events")

    /// The validator for one file of `schemas/events/`, such as `envelope.v1.json`.
    public static func eventSchema(_ fileName: String) throws -> JSONSchemaValidator {
        try JSONSchemaValidator(contentsOf: eventSchemaFolder.appendingPathComponent(fileName))
    }

    /// The validator for one file of `schemas/nats/`, such as `score-value.v1.json`.
    public static func natsSchema(_ fileName: String) throws -> JSONSchemaValidator {
        try JSONSchemaValidator(contentsOf: eventSchemaFolder.deletingLastPathComponent().appendingPathComponent("nats/\(fileName)"))
    }
}

import Foundation
import RepriseDomain

/// Reads a request body member by member, naming each offending member by its JSON path.
///
/// The request types decode through this rather than `Decodable` so that every way a body
/// can be wrong (wrong type, missing, unknown, out of range, not an id) becomes a problem
/// that names the member, and nothing reaches the domain unchecked.
struct JSONReader {
    let value: JSONValue
    let path: String

    /// The whole body; it must be valid UTF-8 JSON.
    static func parse(_ data: Data) throws(Problem) -> JSONReader {
        do {
            return JSONReader(value: try JSONDecoder().decode(JSONValue.self, from: data), path: "")
        } catch {
            throw Problem.malformedJSON("the body is not a JSON document")
        }
    }

    /// This value as an object with only the given members; any other member is refused.
    func object(allowing members: Set<String>) throws(Problem) -> JSONObjectReader {
        guard case .object(let fields) = value else { throw Problem.wrongType(path.isEmpty ? "body" : path, expected: "an object") }
        if let unknown = fields.keys.sorted().first(where: { !members.contains($0) }) {
            throw Problem.unknownField(Self.join(path, unknown))
        }
        return JSONObjectReader(fields: fields, path: path)
    }

    func array() throws(Problem) -> [JSONReader] {
        guard case .array(let items) = value else { throw Problem.wrongType(path, expected: "an array") }
        return items.enumerated().map { JSONReader(value: $0.element, path: "\(path)[\($0.offset)]") }
    }

    func string() throws(Problem) -> String {
        guard case .string(let text) = value else { throw Problem.wrongType(path, expected: "a string") }
        return text
    }

    func bool() throws(Problem) -> Bool {
        guard case .bool(let flag) = value else { throw Problem.wrongType(path, expected: "true or false") }
        return flag
    }

    func int64(in range: ClosedRange<Int64> = Int64.min...Int64.max) throws(Problem) -> Int64 {
        let number: Int64
        switch value {
        case .integer(let integer): number = integer
        case .number(let double) where double.rounded() == double:
            // An integer too large for 64 bits arrives as a double.
            throw Problem.outOfRange(path, "between \(range.lowerBound) and \(range.upperBound)")
        default: throw Problem.wrongType(path, expected: "an integer")
        }
        guard range.contains(number) else { throw Problem.outOfRange(path, "between \(range.lowerBound) and \(range.upperBound)") }
        return number
    }

    func int(in range: ClosedRange<Int>) throws(Problem) -> Int {
        Int(try int64(in: Int64(range.lowerBound)...Int64(range.upperBound)))
    }

    /// A string the domain checks on construction (ids, timestamps); its error gets this path.
    func checked<T>(_ make: (String) throws(DomainError) -> T) throws(Problem) -> T {
        let text = try string()
        do {
            return try make(text)
        } catch {
            throw Problem(error.at(path))
        }
    }

    func oneOf<T: RawRepresentable & CaseIterable>(_ type: T.Type) throws(Problem) -> T where T.RawValue == String {
        let text = try string()
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw Problem(DomainError(.invalidValue, field: path, "'\(text)' is not one of \(allowed)"))
        }
        return value
    }

    static func join(_ path: String, _ member: String) -> String { path.isEmpty ? member : path + "." + member }
}

/// The members of one object of a request body.
struct JSONObjectReader {
    let fields: [String: JSONValue]
    let path: String

    func required(_ name: String) throws(Problem) -> JSONReader {
        guard let value = fields[name], value != .null else { throw Problem.missingField(JSONReader.join(path, name)) }
        return JSONReader(value: value, path: JSONReader.join(path, name))
    }

    func optional(_ name: String) -> JSONReader? {
        guard let value = fields[name], value != .null else { return nil }
        return JSONReader(value: value, path: JSONReader.join(path, name))
    }
}

import Foundation

/// A `jsonb` value as raw JSON text.
///
/// The server normalises `jsonb` (key order, whitespace), so compare decoded values, not text.
public struct PostgresJSONB: Sendable, Hashable, PostgresEncodable, PostgresDecodable {
    public var rawJSON: String

    /// JSON text the caller vouches for; the server rejects it if it is malformed.
    public init(rawJSON: String) {
        self.rawJSON = rawJSON
    }

    /// Encodes `value` with `encoder`.
    public init(encoding value: some Encodable, encoder: JSONEncoder = JSONEncoder()) throws {
        let data: Data
        do {
            data = try encoder.encode(value)
        } catch {
            throw PostgresError(code: .encodingFailed, message: "could not encode \(type(of: value)) as JSON: \(error)")
        }
        self.rawJSON = String(decoding: data, as: UTF8.self)
    }

    /// Decodes the JSON as `type` with `decoder`.
    public func decode<T: Decodable>(_ type: T.Type, decoder: JSONDecoder = JSONDecoder()) throws -> T {
        do {
            return try decoder.decode(type, from: Data(rawJSON.utf8))
        } catch {
            throw PostgresError(code: .decodingFailed, message: "could not decode JSON as \(type): \(error)")
        }
    }

    public func encode(into bindings: inout PostgresBindings) {
        bindings.appendText(rawJSON, as: .jsonb)
    }

    public init?(postgresText text: String) {
        self.rawJSON = text
    }

    /// `jsonb`'s binary form is a version byte (1) and the text; `json`'s is the text.
    public init?(postgresBinary value: PostgresBinaryValue) {
        if value.type == .jsonb {
            guard value.count >= 1, value.bytes[0] == 1 else { return nil }
            self.rawJSON = String(decoding: UnsafeRawBufferPointer(rebasing: value.bytes.dropFirst()), as: UTF8.self)
        } else {
            guard value.isTextual else { return nil }
            self.rawJSON = value.string
        }
    }
}

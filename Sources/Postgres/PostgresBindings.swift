/// The values for a statement's `$1`, `$2`, … parameters, in order.
public struct PostgresBindings: Sendable, ExpressibleByArrayLiteral {
    /// One parameter: `value == nil` is SQL NULL.
    struct Parameter: Sendable {
        enum Value: Sendable {
            /// PostgreSQL's text input format; must not contain NUL.
            case text(String)
            /// PostgreSQL's binary format for the type.
            case binary([UInt8])
            /// A value that could not be encoded; executing the statement throws `.encodingFailed`
            /// with this reason, so interpolation itself never has to throw.
            case failure(String)
        }

        var type: PostgresDataType
        var value: Value?
    }

    var parameters: [Parameter] = []

    public init() {}

    /// `[id, name, nil as String?]`: each element becomes the next parameter.
    public init(arrayLiteral elements: any PostgresEncodable...) {
        for element in elements {
            append(element)
        }
    }

    public var count: Int { parameters.count }

    public mutating func append(_ value: some PostgresEncodable) {
        value.encode(into: &self)
    }

    public mutating func appendNull() {
        parameters.append(Parameter(type: .unspecified, value: nil))
    }

    /// For `PostgresEncodable` conformances: a value in PostgreSQL's text input format.
    public mutating func appendText(_ text: String, as type: PostgresDataType = .unspecified) {
        parameters.append(Parameter(type: type, value: .text(text)))
    }

    /// For `PostgresEncodable` conformances: a value in PostgreSQL's binary format for `type`.
    public mutating func appendBinary(_ bytes: [UInt8], as type: PostgresDataType) {
        parameters.append(Parameter(type: type, value: .binary(bytes)))
    }

    mutating func appendFailure(_ reason: String) {
        parameters.append(Parameter(type: .unspecified, value: .failure(reason)))
    }
}

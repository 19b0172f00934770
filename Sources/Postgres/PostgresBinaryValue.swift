import Foundation

/// How the server sends a statement's result values: PostgreSQL's text output, or each
/// type's binary send format (libpq's result format 1).
///
/// Binary results spare the client parsing: an `int8` is eight bytes, a `uuid` sixteen, a
/// `bytea` its bytes, rather than digits, hex and dashes to scan. Statements that hot paths
/// run many thousands of rows a second through (reading the log) ask for it; everything
/// else stays text, which every `PostgresDecodable` reads.
public enum PostgresResultFormat: Int32, Sendable, Hashable {
    case text = 0
    case binary = 1
}

/// One non-NULL value of a binary-format result, as `PostgresDecodable.init?(postgresBinary:)`
/// receives it: the column's type and its bytes, borrowed from the result for the call only.
///
/// The bytes are read only inside `Postgres` (its conformances of the standard types); other
/// modules' conformers keep the default, which refuses binary values.
public struct PostgresBinaryValue {
    /// The column's type, as the server reported it.
    public let type: PostgresDataType
    /// Valid only during the `init?(postgresBinary:)` call it is passed to.
    let bytes: UnsafeRawBufferPointer

    init(type: PostgresDataType, bytes: UnsafeRawBufferPointer) {
        self.type = type
        self.bytes = bytes
    }

    /// The number of bytes in the value.
    public var count: Int { bytes.count }

    /// A big-endian integer of exactly `Integer`'s width, or nil for a value of another length.
    func integer<Integer: FixedWidthInteger>(_: Integer.Type = Integer.self) -> Integer? {
        guard bytes.count == MemoryLayout<Integer>.size else { return nil }
        return Integer(bigEndian: bytes.loadUnaligned(as: Integer.self))
    }

    /// `int2`, `int4` or `int8`, by the value's width, as `Int64`.
    var anyInteger: Int64? {
        switch bytes.count {
        case 2: integer(Int16.self).map(Int64.init)
        case 4: integer(Int32.self).map(Int64.init)
        case 8: integer(Int64.self)
        default: nil
        }
    }

    /// Types whose binary form is their text as UTF-8: `text`, `varchar`, `bpchar`, `name`,
    /// `json`, and `unknown`.
    var isTextual: Bool {
        switch type.rawValue {
        case 25, 1043, 1042, 19, 114, 705: true
        default: false
        }
    }

    var array: [UInt8] { Array(bytes) }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}

extension PostgresDataType {
    public static let varchar = PostgresDataType(rawValue: 1043)
    public static let json = PostgresDataType(rawValue: 114)
}

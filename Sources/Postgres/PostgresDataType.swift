/// A PostgreSQL type OID, sent with a bind value so the server knows how to read it.
public struct PostgresDataType: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Lets the server infer the type from the statement, as an untyped literal would.
    public static let unspecified = PostgresDataType(rawValue: 0)

    // OIDs from the server's `pg_type.dat`; built-in OIDs never change.
    public static let bool = PostgresDataType(rawValue: 16)
    public static let bytea = PostgresDataType(rawValue: 17)
    public static let int8 = PostgresDataType(rawValue: 20)
    public static let int2 = PostgresDataType(rawValue: 21)
    public static let int4 = PostgresDataType(rawValue: 23)
    public static let text = PostgresDataType(rawValue: 25)
    public static let float4 = PostgresDataType(rawValue: 700)
    public static let float8 = PostgresDataType(rawValue: 701)
    public static let timestamptz = PostgresDataType(rawValue: 1184)
    public static let uuid = PostgresDataType(rawValue: 2950)
    public static let jsonb = PostgresDataType(rawValue: 3802)
    public static let textArray = PostgresDataType(rawValue: 1009)
    public static let int8Array = PostgresDataType(rawValue: 1016)
}

/// The SQL types a projection column can have. Values travel as text and are cast.
public enum ProjectionColumnType: String, Sendable, Hashable {
    case text
    case integer = "int4"
    case bigint = "int8"
    case boolean = "bool"
    case jsonb

    /// The type's name in `pg_type`, which can be quoted like any identifier.
    public var postgresName: String { rawValue }
}

/// A column of a projection table. Every column is NOT NULL: a key with nothing to store
/// has no row.
public struct ProjectionColumn: Sendable, Hashable {
    public let name: String
    public let type: ProjectionColumnType

    public init(_ name: String, _ type: ProjectionColumnType) {
        self.name = name
        self.type = type
    }
}

/// One table of a read model, as the runtime creates, loads and writes it.
///
/// Every physical row belongs to one key through `keyColumn` (text). The projection
/// encodes a key's value as zero or more physical rows of `columns` (the key column
/// excluded), each value as text; the runtime casts them to the column types. The table
/// is declared, not written as SQL, so the runtime builds every statement from quoted
/// names.
public struct ProjectionTable: Sendable {
    public let name: String
    public let keyColumn: String
    public let columns: [ProjectionColumn]
    /// The primary key; `[keyColumn]` when a key has one row.
    public let primaryKey: [String]
    /// Further indexes for readers, each a list of columns.
    public let indexes: [[String]]

    public init(name: String, keyColumn: String, columns: [ProjectionColumn], primaryKey: [String]? = nil, indexes: [[String]] = []) {
        self.name = name
        self.keyColumn = keyColumn
        self.columns = columns
        self.primaryKey = primaryKey ?? [keyColumn]
        self.indexes = indexes
    }

    /// The table's name in one generation.
    public func rawName(generation: Int) -> String { "\(name)_g\(generation)" }
}

/// What to do with an event the fold cannot apply.
public enum PoisonPolicy: Sendable, Equatable {
    /// Record it as a dead letter, and move on without it.
    case skip
    /// Record it as a dead letter, and stop the projector there until an operator acts.
    case stop
}

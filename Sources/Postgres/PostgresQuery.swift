/// SQL text plus its bind values; interpolated values always become `$n` parameters, never SQL.
///
/// ```swift
/// let rows = try await connection.query("SELECT name FROM users WHERE id = \(id)")
/// try await connection.query("DROP TABLE \(identifier: schema).\(table)")   // table: PostgresIdentifier
/// try await connection.query("SELECT \(columns) FROM \(table)")              // columns: PostgresQuery, no binds
/// ```
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation {
    public var sql: String
    public var binds: PostgresBindings
    /// How the server sends the rows: text unless set to binary.
    public var resultFormat: PostgresResultFormat = .text

    /// SQL written by hand: the caller guarantees `sql` holds no untrusted text.
    public init(unsafeSQL sql: String, binds: PostgresBindings = .init()) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    /// Builds the SQL and the binds side by side.
    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        var sql = ""
        var binds = PostgresBindings()

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + 4 * interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql.append(literal)
        }

        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            binds.append(value)
            sql.append("$\(binds.count)")
        }

        /// `nil` is SQL NULL. (A separate overload: the generic one would make the compiler warn
        /// about interpolating an optional.)
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            binds.append(value)
            sql.append("$\(binds.count)")
        }

        /// A schema, table or column name; identifiers cannot be bind parameters, so this quotes instead.
        public mutating func appendInterpolation(identifier: String) {
            sql.append(PostgresQuery.quoteIdentifier(identifier))
        }

        /// A checked name, quoted: never a bind.
        public mutating func appendInterpolation(_ identifier: PostgresIdentifier) {
            sql.append(identifier.quoted)
        }

        /// A piece of SQL written in the code (a column list, a table's columns), spliced
        /// as it is. It may hold no binds: their `$n` would not match this query's.
        public mutating func appendInterpolation(_ fragment: PostgresQuery) {
            precondition(fragment.binds.count == 0, "a spliced SQL fragment cannot carry binds")
            sql.append(fragment.sql)
        }
    }

    /// `"name"`, with embedded double quotes doubled: the quoted form is always one identifier.
    public static func quoteIdentifier(_ identifier: String) -> String {
        // Scalars, not Characters: a quote followed by a combining mark is one Character,
        // but the server still sees the quote.
        var quoted = String.UnicodeScalarView()
        quoted.append("\"")
        for scalar in identifier.unicodeScalars {
            quoted.append(scalar)
            if scalar == "\"" { quoted.append(scalar) }
        }
        quoted.append("\"")
        return String(quoted)
    }
}

extension PostgresQuery: CustomStringConvertible {
    /// The SQL and the number of binds; the values stay out of logs.
    public var description: String {
        binds.count == 0 ? sql : "\(sql) [\(binds.count) binds]"
    }
}

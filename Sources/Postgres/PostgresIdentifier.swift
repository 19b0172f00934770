/// A schema, table or column name, checked once and always written into SQL quoted.
///
/// Identifiers cannot be bind parameters, so a query that names a table computed at run
/// time (a projection's `<table>_g<N>`) interpolates one of these: it becomes `"name"`
/// with embedded double quotes doubled, which the server always reads as one identifier.
///
/// ```swift
/// let table = try PostgresIdentifier("scores_g\(generation)")
/// try await connection.query("SELECT * FROM \(table) WHERE id = \(id)")
/// ```
public struct PostgresIdentifier: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The longest name the server keeps (NAMEDATALEN - 1). A longer one would be cut
    /// silently, and two long names could then name the same table.
    public static let maximumLength = 63

    /// The name as written, unquoted.
    public let name: String

    /// Refuses what the server would not keep as written: an empty name, a NUL
    /// character, or more than `maximumLength` bytes of UTF-8. Anything else is safe,
    /// because the name is always quoted.
    public init(_ name: String) throws(PostgresError) {
        if let problem = Self.problem(with: name) {
            throw PostgresError(code: .invalidIdentifier, message: problem)
        }
        self.name = name
    }

    /// For names written in the code, which is also what `PostgresIdentifier("literal")`
    /// calls: a bad one is a programming error and traps.
    public init(stringLiteral name: String) {
        if let problem = Self.problem(with: name) { preconditionFailure(problem) }
        self.name = name
    }

    /// `"name"`, as it goes into SQL.
    public var quoted: String { PostgresQuery.quoteIdentifier(name) }

    public var description: String { quoted }

    private static func problem(with name: String) -> String? {
        if name.isEmpty { return "an identifier cannot be empty" }
        if name.utf8.contains(0) { return "an identifier cannot contain a NUL character" }
        if name.utf8.count > maximumLength {
            return "identifier \(PostgresQuery.quoteIdentifier(name)) is longer than \(maximumLength) bytes, and the server would cut it"
        }
        return nil
    }
}

extension PostgresError.Code {
    /// A name that cannot be a `PostgresIdentifier`.
    public static let invalidIdentifier = Self(rawValue: "invalidIdentifier")
}

/// An error from PostgreSQL or from this client, with the server's diagnostic fields when there are any.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What went wrong: a SQLSTATE from the server, or one of the client-side codes.
    public var code: Code
    /// The SQLSTATE the server sent; `nil` when the client detected the problem itself.
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    public var constraint: String?
    public var table: String?
    public var column: String?
    /// The SQL text of the failed statement; bind values are never recorded.
    public var query: String?

    public init(
        code: Code,
        message: String,
        sqlState: String? = nil,
        detail: String? = nil,
        hint: String? = nil,
        constraint: String? = nil,
        table: String? = nil,
        column: String? = nil,
        query: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.table = table
        self.column = column
        self.query = query
    }

    // `detail` is left out on purpose: the server puts row values there ("Key (email)=(…)"),
    // and descriptions end up in logs.
    public var description: String {
        var parts: [String] = []
        if let constraint { parts.append("constraint \(constraint)") }
        if let table { parts.append("table \(table)") }
        if let column { parts.append("column \(column)") }
        if let hint { parts.append("hint: \(hint)") }
        if let query { parts.append("query: \(query.split(whereSeparator: \.isNewline).joined(separator: " "))") }
        let context = parts.isEmpty ? "" : " (\(parts.joined(separator: "; ")))"
        return "postgres \(code): \(message)\(context)"
    }
}

extension PostgresError {
    /// A SQLSTATE, or a client-side condition that has none.
    public struct Code: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// Keeps unknown SQLSTATEs as they are, so callers can still match on them.
        public init(sqlState: String) {
            self.rawValue = sqlState
        }

        public var description: String { rawValue }

        /// The two-character SQLSTATE class ("23" for integrity violations); empty for client-side codes.
        public var `class`: String {
            isSQLState ? String(rawValue.prefix(2)) : ""
        }

        /// Whether the same work may succeed when run again, usually in a new transaction.
        public var isRetryable: Bool {
            self == .serializationFailure || self == .deadlockDetected || self == .connectionClosed
        }

        private var isSQLState: Bool {
            rawValue.utf8.count == 5
                && rawValue.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) }
        }

        // Server-side SQLSTATEs, https://www.postgresql.org/docs/15/errcodes-appendix.html
        public static let uniqueViolation = Code(sqlState: "23505")
        public static let foreignKeyViolation = Code(sqlState: "23503")
        public static let notNullViolation = Code(sqlState: "23502")
        public static let checkViolation = Code(sqlState: "23514")
        public static let exclusionViolation = Code(sqlState: "23P01")
        public static let serializationFailure = Code(sqlState: "40001")
        public static let deadlockDetected = Code(sqlState: "40P01")
        public static let syntaxError = Code(sqlState: "42601")
        public static let undefinedTable = Code(sqlState: "42P01")
        public static let undefinedColumn = Code(sqlState: "42703")
        public static let undefinedFunction = Code(sqlState: "42883")
        public static let invalidTextRepresentation = Code(sqlState: "22P02")
        public static let numericValueOutOfRange = Code(sqlState: "22003")
        /// Also raised by the client for a NUL character in text, which the server would refuse the same way.
        public static let characterNotInRepertoire = Code(sqlState: "22021")
        /// The transaction had already failed, so it was rolled back instead of committed.
        public static let inFailedSQLTransaction = Code(sqlState: "25P02")
        /// Also raised by the client when the calling task was cancelled before the statement was sent.
        public static let queryCanceled = Code(sqlState: "57014")
        public static let adminShutdown = Code(sqlState: "57P01")
        public static let lockNotAvailable = Code(sqlState: "55P03")
        /// No prepared statement by that name: the session forgot it (`DISCARD ALL`, `DEALLOCATE`).
        public static let invalidSQLStatementName = Code(sqlState: "26000")
        public static let raiseException = Code(sqlState: "P0001")

        // Client-side conditions. A SQLSTATE is five upper-case characters, so these never collide.
        public static let connectionRefused = Code(rawValue: "connectionRefused")
        /// Any other failure to connect: authentication, unknown database, malformed URL, timeout.
        public static let connectionFailed = Code(rawValue: "connectionFailed")
        /// The connection was lost or closed while in use.
        public static let connectionClosed = Code(rawValue: "connectionClosed")
        public static let poolClosed = Code(rawValue: "poolClosed")
        /// The pool's wait queue was full: refused at once rather than queued without bound.
        public static let poolExhausted = Code(rawValue: "poolExhausted")
        /// No connection came free within the pool's wait timeout.
        public static let poolTimeout = Code(rawValue: "poolTimeout")
        public static let encodingFailed = Code(rawValue: "encodingFailed")
        public static let decodingFailed = Code(rawValue: "decodingFailed")
        /// libpq was in a state this client does not expect.
        public static let protocolViolation = Code(rawValue: "protocolViolation")
    }
}

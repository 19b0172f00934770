import RepriseDomain
import RepriseEventLog

/// Why a command was not carried out. Each code maps to one kind of HTTP answer later.
public struct CommandError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public var description: String { rawValue }

        /// The domain refused the command; `domainError` says which rule and which field.
        public static let rejected = Code(rawValue: "rejected")
        /// A bulk buy was refused; `bulkRejection` lists every failing item.
        public static let bulkRejected = Code(rawValue: "bulk_rejected")
        /// The caller's expected version is not the campaign's (HTTP If-Match).
        public static let versionMismatch = Code(rawValue: "version_mismatch")
        /// Another writer kept winning the race for the same campaign.
        public static let conflict = Code(rawValue: "conflict")
        /// A stored event could not be read back (unknown type or version).
        public static let unreadableHistory = Code(rawValue: "unreadable_history")
        /// The event store failed; retrying may help.
        public static let unavailable = Code(rawValue: "unavailable")
    }

    public let code: Code
    public let message: String
    public let domainError: DomainError?
    public let bulkRejection: BulkBuyRejection?
    /// With `.versionMismatch` and `.conflict`: the campaign's version at the time.
    public let actualVersion: Int?

    init(
        _ code: Code, _ message: String, domainError: DomainError? = nil,
        bulkRejection: BulkBuyRejection? = nil, actualVersion: Int? = nil
    ) {
        self.code = code
        self.message = message
        self.domainError = domainError
        self.bulkRejection = bulkRejection
        self.actualVersion = actualVersion
    }

    /// For adapters behind the application's ports: a read model that cannot be read.
    public static func unavailable(_ message: String) -> CommandError {
        CommandError(.unavailable, message)
    }

    static func rejected(_ error: DomainError) -> CommandError {
        CommandError(.rejected, error.message, domainError: error)
    }

    static func store(_ error: EventStoreError) -> CommandError {
        CommandError(.unavailable, error.message)
    }

    public var description: String { message }
}

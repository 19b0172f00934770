import Postgres

/// Why migrating stopped. The message is written for the operator who has to act on it.
public struct MigrationError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public var description: String { rawValue }

        public static let directoryUnreadable = Code(rawValue: "directory_unreadable")
        public static let invalidFileName = Code(rawValue: "invalid_file_name")
        public static let duplicateVersion = Code(rawValue: "duplicate_version")
        /// An applied migration's file was edited afterwards.
        public static let checksumMismatch = Code(rawValue: "checksum_mismatch")
        /// The database has a migration that is not on disk (an older build talking to a newer database).
        public static let unknownAppliedMigration = Code(rawValue: "unknown_applied_migration")
        /// A new file is numbered below a migration that was already applied.
        public static let outOfOrder = Code(rawValue: "out_of_order")
        /// The migration's SQL failed; nothing of it was kept.
        public static let migrationFailed = Code(rawValue: "migration_failed")
    }

    public let code: Code
    public let message: String
    /// The database error behind `.migrationFailed`.
    public let underlying: PostgresError?

    init(_ code: Code, _ message: String, underlying: PostgresError? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}

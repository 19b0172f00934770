import Postgres
import RepriseEventLog
import Synchronization

/// A read model: its tables and a deterministic apply function.
///
/// `apply` must be a function of the event and the rows it reads, nothing else: no wall
/// clock, no unseeded randomness, no other I/O. Then replaying the log rebuilds exactly
/// the model the live projector keeps, which `reprise projection verify` checks.
public protocol Projection: Sendable {
    /// Stable and short (`[a-z][a-z0-9_]*`): names the consumer, the registry row and
    /// the physical tables (`<table>_g<generation>`).
    var name: String { get }
    /// The read model's tables.
    var tables: [ProjectionTable] { get }
    /// What the runtime does with an event that keeps failing.
    var poisonPolicy: PoisonPolicy { get }
    /// Applies one event, inside the transaction that also moves the checkpoint.
    func apply(_ event: SequencedEvent, in context: ProjectionContext) async throws
    /// Called after a batch of the live generation committed, with the keys `apply`
    /// marked as changed; publish them to outside subscribers here. Also called with
    /// `nil` (meaning "everything") when the projector starts and after a rebuild swapped
    /// generations, so subscribers converge on the committed model even after a crash
    /// between commit and publication.
    func didCommit(changedKeys: Set<String>?, generation: Int, on pool: PostgresConnectionPool) async throws
}

extension Projection {
    public func didCommit(changedKeys: Set<String>?, generation: Int, on pool: PostgresConnectionPool) async throws {}
}

/// One table of a read model. `columns` is the body of CREATE TABLE (columns and the
/// primary key); `orderBy` lists the primary key columns, which order digests and diffs.
/// All three are SQL written in the code, spliced into the statements that name the
/// table's generation; none may carry binds.
public struct ProjectionTable: Sendable {
    public let name: String
    public let columns: PostgresQuery
    public let orderBy: PostgresQuery
    /// The column list of each index to create on the table (`"campaign_id"`).
    public let indexes: [PostgresQuery]

    public init(name: String, columns: PostgresQuery, orderBy: PostgresQuery, indexes: [PostgresQuery] = []) {
        self.name = name
        self.columns = columns
        self.orderBy = orderBy
        self.indexes = indexes
    }

    /// The table's name in one generation.
    public func physicalName(generation: Int) -> PostgresIdentifier {
        do {
            return try PostgresIdentifier("\(name)_g\(generation)")
        } catch {
            // Table names are constants of the projection's code.
            preconditionFailure("projection table \(name): \(error)")
        }
    }
}

/// What to do with an event whose apply keeps failing.
public enum PoisonPolicy: Sendable, Equatable {
    /// Record it as a dead letter, and move on without it.
    case skip
    /// Record it as a dead letter, and stop the projector there until an operator acts.
    case stop
}

/// What `apply` works with: the open transaction and the generation being written.
public final class ProjectionContext: Sendable {
    public let connection: PostgresConnection
    public let generation: Int
    private let tables: [String: ProjectionTable]
    private let changed = Mutex(Set<String>())

    init(connection: PostgresConnection, generation: Int, tables: [ProjectionTable]) {
        self.connection = connection
        self.generation = generation
        self.tables = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) })
    }

    /// The physical name of one of the projection's tables in this generation.
    public func table(_ name: String) -> PostgresIdentifier {
        guard let table = tables[name] else { preconditionFailure("the projection has no table \(name)") }
        return table.physicalName(generation: generation)
    }

    /// Marks a key whose published value may have changed; `didCommit` receives them.
    public func markChanged(_ key: String) {
        changed.withLock { _ = $0.insert(key) }
    }

    func takeChanged() -> Set<String> {
        changed.withLock { keys in
            defer { keys = [] }
            return keys
        }
    }
}

/// Why a projection or its runtime failed.
public struct ProjectionError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The event could not be applied (a bug or an unexpected event): a poison event.
        public static let applyFailed = Code(rawValue: "apply_failed")
        /// The projector stopped at a poison event under the `stop` policy.
        public static let stoppedAtPoison = Code(rawValue: "stopped_at_poison")
        /// A rebuilt model differs from the live one.
        public static let verifyMismatch = Code(rawValue: "verify_mismatch")
        /// No projection of that name, or it was never started.
        public static let unknownProjection = Code(rawValue: "unknown_projection")
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "projection \(code): \(message)" }
}

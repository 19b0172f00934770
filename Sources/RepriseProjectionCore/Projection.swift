import RepriseEventLog

/// A read model as a pure fold over the log.
///
/// A projection declares its tables, says which rows an event touches, and changes those
/// rows in memory. It does no I/O and reads no clock or randomness: time comes from the
/// events. The runtime (`RepriseProjections`) owns persistence: per batch it loads every
/// selected row in one query per table, folds the batch, writes back only what changed,
/// and moves the checkpoint, in one transaction. Live projectors and rebuilds run the
/// same fold, so a rebuild comes out identical to the live model.
public protocol Projection: Sendable {
    /// What one event means to this projection, decoded once.
    associatedtype Step: Sendable
    /// The value of one key (see `ProjectionKey`).
    associatedtype Row: Equatable & Sendable

    /// Stable and short (`[a-z][a-z0-9_]*`): names the consumer, the registry row and the
    /// physical tables (`<table>_g<generation>`).
    var name: String { get }
    var tables: [ProjectionTable] { get }
    var poisonPolicy: PoisonPolicy { get }

    /// Decodes the event; nil when this projection ignores it. Throwing makes the event
    /// poison: it is dead-lettered and the model does not change.
    func step(for event: SequencedEvent) throws -> Step?
    /// The rows `apply` reads or writes for this step.
    func selections(for step: Step) -> [RowSelection]
    /// Changes the selected rows. It must read and write only the rows its selections
    /// name; a throw leaves the rows as they were (the runtime undoes partial writes) and
    /// makes the event poison.
    func apply(_ step: Step, to rows: inout ProjectionRows<Row>) throws

    /// A key's value as physical rows of its table (see `ProjectionTable`).
    func encode(_ row: Row, key: ProjectionKey) -> [[String]]
    /// The value back from its physical rows, as `encode` wrote them.
    func decode(_ rows: [[String]], key: ProjectionKey) throws -> Row

    /// The outside keys a batch's changes affect (the score bucket's keys, say), for
    /// publication after commit. None by default.
    func publications(of changes: [ProjectionKey: RowChange<Row>]) -> Set<String>
}

extension Projection {
    public func publications(of changes: [ProjectionKey: RowChange<Row>]) -> Set<String> { [] }

    /// The table called `name`.
    public func table(named name: String) -> ProjectionTable? {
        tables.first { $0.name == name }
    }
}

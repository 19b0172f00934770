import Postgres
import RepriseEventLog

/// A projection that can also fold the log in memory and write its whole model at once.
///
/// Rebuilds and verifications use this path when a projection offers it: they read the
/// log in large pages, fold it in memory and COPY the result in, instead of running SQL
/// per event. The live projector keeps using `apply(_:in:)`, so `verify` compares the two
/// implementations with each other on every run: they must agree row for row.
public protocol BulkRebuildable: Projection {
    associatedtype Model: Sendable

    func makeModel() -> Model
    /// Folds one event in. Must leave `model` unchanged when it throws (poison).
    func apply(_ event: SequencedEvent, to model: inout Model) throws
    /// Writes the whole model into one generation's empty tables.
    func write(_ model: Model, generation: Int, on connection: PostgresConnection) async throws
}

extension ProjectionTable {
    /// The table's name in one generation, unquoted (for APIs that quote it themselves).
    public func rawName(generation: Int) -> String { "\(name)_g\(generation)" }
}

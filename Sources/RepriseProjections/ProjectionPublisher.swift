import Postgres

/// Publishes a projection's committed changes to outside subscribers (the score bucket).
///
/// The projector calls it after each batch commits, with the keys the projection's
/// `publications(of:)` named, and with nil ("everything") when it starts, so subscribers
/// converge on the committed model even after a crash between commit and publication.
public protocol ProjectionPublisher: Sendable {
    func publish(_ keys: Set<String>?, generation: Int, on pool: PostgresConnectionPool) async throws
}

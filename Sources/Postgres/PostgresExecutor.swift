/// Something that runs statements: one connection, or a pool that lends one per call.
/// Lets code that needs neither a session nor a transaction run on either.
public protocol PostgresExecutor: Sendable {
    @discardableResult
    func query(_ query: PostgresQuery) async throws -> PostgresRows

    @discardableResult
    func execute(_ statement: PostgresPreparedStatement, _ binds: PostgresBindings) async throws -> PostgresRows
}

extension PostgresConnection: PostgresExecutor {}
extension PostgresConnectionPool: PostgresExecutor {}

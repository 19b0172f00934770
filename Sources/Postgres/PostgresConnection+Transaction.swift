/// The isolation level of a transaction.
public enum PostgresIsolationLevel: Sendable, Hashable {
    case readCommitted
    case repeatableRead
    /// Conflicting transactions fail with `.serializationFailure`; retry them.
    case serializable

    var sql: String {
        switch self {
        case .readCommitted: "READ COMMITTED"
        case .repeatableRead: "REPEATABLE READ"
        case .serializable: "SERIALIZABLE"
        }
    }
}

extension PostgresConnection {
    /// Runs `body` between BEGIN and COMMIT.
    ///
    /// On any error thrown by `body`, or if the task is cancelled by the time it returns, the
    /// transaction is rolled back and the original error rethrown (cancellation becomes
    /// `.queryCanceled`). If `body` caught a failed statement, COMMIT is refused with
    /// `.inFailedSQLTransaction`, since the server would have rolled back anyway.
    @discardableResult
    nonisolated(nonsending)
    public func withTransaction<R: Sendable>(
        isolation: PostgresIsolationLevel = .readCommitted,
        _ body: (PostgresConnection) async throws -> sending R
    ) async throws -> sending R {
        try await query(PostgresQuery(unsafeSQL: "BEGIN ISOLATION LEVEL \(isolation.sql)"))
        let value: R
        do {
            value = try await body(self)
            if Task.isCancelled {
                throw PostgresError(code: .queryCanceled, message: "the task was cancelled inside the transaction")
            }
        } catch {
            await rollback(after: error)
            throw error
        }
        // Not cancellable: once the body has succeeded, the transaction must end one way or the other.
        try await run(query: "COMMIT", cancellable: false) { try $0.commit() }
        return value
    }

    private func rollback(after error: any Error) async {
        // A lost session has no transaction left to roll back.
        guard !isClosed else { return }
        do {
            try await run(query: "ROLLBACK", cancellable: false) { try $0.rollbackIfInTransaction() }
        } catch {
            // The caller gets the body's error; a lost connection is already marked closed.
            logger.warning("Rollback failed", metadata: ["postgres.error": "\(error)"])
        }
    }
}

import Logging
import NIOPosix
import Synchronization

/// One PostgreSQL session, whose blocking libpq calls run on a thread of its own.
///
/// Operations run one at a time, in the order they are called. The type is `Sendable`, but a
/// session has one transaction state: tasks that share a connection share its transactions.
/// Cancelling the calling task cancels its statement on the server too (`.queryCanceled`).
public final class PostgresConnection: Sendable {
    public let logger: Logger
    /// The server process behind this session, as in `pg_stat_activity.pid`.
    public let backendProcessID: Int32

    /// One thread, so the `PGconn` is touched by one thread only, and 64 connections can block
    /// at once without starving Swift's cooperative pool (two threads on a 2-core machine).
    private let thread: NIOThreadPool
    private let handle: LibPQConnection
    private let lifecycle: Mutex<Lifecycle>

    private enum Lifecycle {
        case open
        /// The server is gone; `close()` still has to free the `PGconn` and stop the thread.
        case broken
        case closed
    }

    private init(thread: NIOThreadPool, handle: LibPQConnection, logger: Logger) {
        self.thread = thread
        self.handle = handle
        self.backendProcessID = handle.backendProcessID
        var logger = logger
        logger[metadataKey: "postgres.backend_pid"] = "\(handle.backendProcessID)"
        self.logger = logger
        self.lifecycle = Mutex(.open)
    }

    deinit {
        if lifecycle.withLock({ $0 }) != .closed {
            logger.error("PostgresConnection deinitialized without close()")
            // Stops the thread; the last reference to the handle then finishes the PGconn.
            thread.shutdownGracefully { _ in }
        }
    }

    /// Connects, failing with `.connectionRefused` when nothing listens and `.connectionFailed` otherwise.
    public static func connect(_ configuration: PostgresConfiguration, logger: Logger) async throws -> PostgresConnection {
        let parameters = try configuration.connectionParameters()
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        do {
            let handle = try await thread.runBlocking(cancellable: true) {
                try LibPQConnection.connect(parameters, logger: logger)
            }
            let connection = PostgresConnection(thread: thread, handle: handle, logger: logger)
            connection.logger.debug("Connected to PostgreSQL")
            return connection
        } catch {
            try? await thread.shutdownGracefully()
            logger.debug("Could not connect to PostgreSQL", metadata: ["postgres.error": "\(error)"])
            throw error
        }
    }

    /// Connects, runs `body`, and closes the connection whatever `body` did: for one-shot
    /// work (a command-line tool, a test, a benchmark) that needs no pool.
    nonisolated(nonsending)
    public static func withConnection<R: Sendable>(
        _ configuration: PostgresConfiguration, logger: Logger, _ body: (PostgresConnection) async throws -> sending R
    ) async throws -> sending R {
        let connection = try await connect(configuration, logger: logger)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Whether the session was inside a transaction (open or failed) after its last statement.
    var isTransactionOpen: Bool {
        handle.isTransactionOpen
    }

    /// True after `close()`, and as soon as the connection is found to be lost.
    public var isClosed: Bool {
        lifecycle.withLock { $0 != .open }
    }

    /// Waits for operations already queued, then ends the session. Safe to call more than once.
    public func close() async {
        let wasClosed = lifecycle.withLock { state in
            defer { state = .closed }
            return state == .closed
        }
        guard !wasClosed else { return }
        // Not cancellable: a cancelled task must still free the session.
        try? await thread.runBlocking(cancellable: false) { [handle] in handle.finish() }
        try? await thread.shutdownGracefully()
        logger.debug("Closed PostgreSQL connection")
    }

    /// Runs one statement with `PQexecParams`; interpolated values travel as binds.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        logger.debug("Query", metadata: ["postgres.query": "\(query.sql)"])
        let result = try await run(query: query.sql) { [sql = query.sql, binds = query.binds, format = query.resultFormat] in
            try $0.execute(sql, binds, resultFormat: format)
        }
        return PostgresRows(result: result)
    }

    /// Runs a named statement, preparing it on first use on this connection.
    @discardableResult
    public func execute(_ statement: PostgresPreparedStatement, _ binds: PostgresBindings = .init()) async throws -> PostgresRows {
        logger.debug("Execute prepared statement", metadata: [
            "postgres.statement": "\(statement.name)",
            "postgres.query": "\(statement.sql)",
        ])
        let result = try await run(query: statement.sql) { 
            try $0.executePrepared(name: statement.name, sql: statement.sql, binds, resultFormat: statement.resultFormat)
        }
        return PostgresRows(result: result)
    }

    /// Runs SQL through the simple-query protocol: several statements separated by `;`, no binds.
    /// Made for migrations; never put untrusted text in `sql`.
    public func simpleQuery(_ sql: String) async throws {
        logger.debug("Simple query", metadata: ["postgres.query": "\(sql)"])
        _ = try await run(query: sql) { try $0.executeSimple(sql) }
    }

    /// Runs `body` on the connection's thread. Every error is a `PostgresError`, and one that
    /// reports a lost connection marks this connection closed, so pools drop it.
    ///
    /// With `cancellable`, a task cancelled before the work starts skips it, and one cancelled
    /// while it runs sends the server a cancel request (`cancelsOnServer`), so the statement
    /// stops there too, failing with `.queryCanceled`, instead of holding its locks, its
    /// snapshot and this connection until it ends on its own.
    func run<T: Sendable>(
        query: String?,
        cancellable: Bool = true,
        cancelsOnServer: Bool = true,
        _ body: @escaping @Sendable (LibPQConnection) throws -> T
    ) async throws -> T {
        guard lifecycle.withLock({ $0 == .open }) else {
            throw PostgresError(code: .connectionClosed, message: "the connection is closed", query: query)
        }
        let canceller = handle.canceller
        let token = canceller.makeToken()
        do {
            let sendsCancel = cancellable && cancelsOnServer
            return try await thread.runBlocking(
                cancellable: cancellable,
                { [handle] in try body(handle) },
                onStart: { canceller.begin(token) },
                onEnd: { [handle] in
                    handle.recordTransactionStatus()
                    canceller.end()
                },
                onCancel: { if sendsCancel { Self.cancelOnServer(canceller, token: token) } }
            )
        } catch let error as PostgresError {
            if error.code == .connectionClosed {
                lifecycle.withLock { if $0 == .open { $0 = .broken } }
            }
            logger.debug("Query failed", metadata: [
                "postgres.query": "\(query ?? "")",
                "postgres.sqlstate": "\(error.sqlState ?? "")",
                "postgres.error.code": "\(error.code)",
            ])
            throw error
        }
    }

    /// `PQcancel` connects to the server, so it runs on a thread of NIO's shared blocking pool.
    private static func cancelOnServer(_ canceller: StatementCanceller, token: UInt64) {
        NIOThreadPool.singleton.submit { state in
            guard state == .active else { return }
            canceller.cancelUntilStopped(token)
        }
    }
}

/// A statement prepared once per connection, on first use, and run by name after that.
///
/// Give each distinct SQL text its own name: a name is bound to the SQL it was first prepared with.
public struct PostgresPreparedStatement: Sendable, Hashable {
    public let name: String
    public let sql: String
    /// How the server sends the rows: text (the default) or binary, for hot reads.
    public let resultFormat: PostgresResultFormat

    public init(name: String, sql: String, resultFormat: PostgresResultFormat = .text) {
        self.name = name
        self.sql = sql
        self.resultFormat = resultFormat
    }
}

extension NIOThreadPool {
    /// Like `runIfActive`, with two differences: work can be marked to run even for a cancelled
    /// task (ROLLBACK and `PQfinish` must never be skipped), and every failure is a `PostgresError`.
    /// Cancellation only skips work that has not started; `onStart` runs on the pool's thread
    /// before the cancellation flag is read (and `onEnd` after the work, or after skipping it),
    /// and `onCancel` runs after the flag is set, so it either finds the work started (and can
    /// cancel the statement on the server) or the work sees the flag and is skipped.
    func runBlocking<T: Sendable>(
        cancellable: Bool, _ body: @escaping @Sendable () throws -> T,
        onStart: @escaping @Sendable () -> Void = {}, onEnd: @escaping @Sendable () -> Void = {},
        onCancel: @escaping @Sendable () -> Void = {}
    ) async throws -> T {
        let cancelled = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                submit { state in
                    guard state == .active else {
                        continuation.resume(throwing: PostgresError(code: .connectionClosed, message: "the connection is closed"))
                        return
                    }
                    onStart()
                    let result: Result<T, any Error>
                    if cancellable && cancelled.isSet {
                        result = .failure(PostgresError(code: .queryCanceled, message: "the task was cancelled before the statement was sent"))
                    } else {
                        result = Result(catching: body)
                    }
                    // Before resuming, so the caller sees what `onEnd` records.
                    onEnd()
                    continuation.resume(with: result)
                }
            }
        } onCancel: {
            cancelled.set()
            onCancel()
        }
    }
}

private final class CancellationFlag: Sendable {
    private let flag = Atomic(false)

    var isSet: Bool { flag.load(ordering: .acquiring) }

    func set() {
        flag.store(true, ordering: .releasing)
    }
}

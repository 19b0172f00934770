import Foundation
import Logging
import Synchronization
internal import CLibPQ

/// A `PGconn` and the state that goes with it. Every method blocks; none may run on Swift's cooperative pool.
///
/// `@unchecked Sendable` is safe because `PGconn` is only ever touched by one thread: the
/// single thread of the owning `PostgresConnection`'s `NIOThreadPool`. Every method here is
/// called from a work item on that thread, and the pool's queue lock orders the work items, so
/// each one sees the writes of the previous one (`raw`, `preparedStatements`). The one exception
/// is `deinit`, which runs when the last reference is gone, so no work item can still hold one.
/// The class is `Sendable` only so that work items can carry it to that thread.
final class LibPQConnection: @unchecked Sendable {
    private var raw: OpaquePointer?
    /// Set once the server is gone; libpq keeps the `PGconn` until `PQfinish`, but it is useless.
    private var isBroken = false
    /// Statement name to SQL, for the statements already prepared in this session.
    private var preparedStatements: [String: String] = [:]
    private let noticeLogger: Unmanaged<NoticeLogger>
    /// Read once at connect, so other threads never have to ask the `PGconn`.
    let backendProcessID: Int32
    /// Cancels the running statement from another thread; libpq's `PGcancel` is made for that.
    let canceller: StatementCanceller
    /// Whether the session was inside a transaction after its last statement. Written on the
    /// connection's thread, read by the pool when the connection comes back, without a thread hop.
    private let transactionOpen = Atomic(false)

    /// Returns only a connected session; a failed `PGconn` is finished before throwing.
    static func connect(_ parameters: [(keyword: String, value: String)], logger: Logger) throws -> LibPQConnection {
        let raw = withCStringArray(parameters.map(\.keyword)) { keywords in
            withCStringArray(parameters.map(\.value)) { values in
                PQconnectdbParams(keywords, values, 0)
            }
        }
        guard let raw else {
            throw PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(raw) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(raw)).trimmingTrailingNewlines()
            PQfinish(raw)
            // libpq reports no SQLSTATE before the session exists; the OS error text is all there is.
            // (Were libpq's or libc's messages translated, a refusal would show as `.connectionFailed`.)
            let code: PostgresError.Code = message.contains("Connection refused") ? .connectionRefused : .connectionFailed
            throw PostgresError(code: code, message: message)
        }
        return LibPQConnection(raw, logger: logger)
    }

    private init(_ raw: OpaquePointer, logger: Logger) {
        self.raw = raw
        backendProcessID = PQbackendPID(raw)
        canceller = StatementCanceller(PQgetCancel(raw))
        // Without a receiver, libpq prints NOTICEs and WARNINGs to stderr. The logger is retained
        // for as long as the PGconn can call back, and released in `finish()`.
        noticeLogger = Unmanaged.passRetained(NoticeLogger(logger: logger))
        PQsetNoticeReceiver(raw, { context, result in
            guard let context, let result else { return }
            Unmanaged<NoticeLogger>.fromOpaque(context).takeUnretainedValue().log(result)
        }, noticeLogger.toOpaque())
    }

    /// Normally a no-op: `PostgresConnection.close()` has finished the session already. Runs on
    /// whichever thread drops the last reference, which is safe because no other thread has one.
    deinit {
        finish()
    }

    /// `PQfinish`, once. After it, every method throws `.connectionClosed`.
    func finish() {
        guard let raw else { return }
        canceller.free()
        PQfinish(raw)
        self.raw = nil
        noticeLogger.release()
    }

    /// Records whether a transaction is open (or failed, or unknown after a lost connection),
    /// for `isTransactionOpen`. Call after every statement.
    func recordTransactionStatus() {
        let open: Bool
        if let raw, !isBroken {
            open = PQtransactionStatus(raw) != PQTRANS_IDLE
        } else {
            open = false
        }
        transactionOpen.store(open, ordering: .releasing)
    }

    /// As of the last statement; safe to read from any thread.
    var isTransactionOpen: Bool {
        transactionOpen.load(ordering: .acquiring)
    }

    // MARK: Statements

    func execute(_ sql: String, _ binds: PostgresBindings, resultFormat: PostgresResultFormat = .text) throws -> PostgresResult {
        let connection = try live(for: sql)
        let result = try binds.withLibPQParameters(query: sql) { parameters in
            PQexecParams(
                connection, sql, parameters.count, parameters.types, parameters.values,
                parameters.lengths, parameters.formats, resultFormat.rawValue
            )
        }
        return try check(result, query: sql)
    }

    /// Prepares on first use in this session, then reuses the server-side plan.
    ///
    /// The server can forget its statements behind this cache's back: `DISCARD ALL` or
    /// `DEALLOCATE` (seen in the command tag and handled in `check`), or a session reset done
    /// by a pooler in between. Then the server answers 26000; outside a transaction the
    /// statement is prepared again and run once more, inside one the transaction is already
    /// failed, so the error stands but the next use prepares again.
    func executePrepared(
        name: String, sql: String, _ binds: PostgresBindings, resultFormat: PostgresResultFormat = .text
    ) throws -> PostgresResult {
        let connection = try live(for: sql)
        try Self.rejectNUL(in: name, what: "statement name", query: sql)
        return try binds.withLibPQParameters(query: sql) { parameters in
            func prepareAndRun() throws -> PostgresResult {
                switch preparedStatements[name] {
                case sql?:
                    break
                case nil:
                    // The first call's parameter types are the statement's for good; NULLs leave a type to the server.
                    let prepared = PQprepare(connection, name, sql, parameters.count, parameters.types)
                    _ = try check(prepared, query: sql)
                    preparedStatements[name] = sql
                case _?:
                    throw PostgresError(
                        code: .protocolViolation,
                        message: "prepared statement \"\(name)\" is already prepared with different SQL on this connection",
                        query: sql
                    )
                }
                let result = PQexecPrepared(
                    connection, name, parameters.count, parameters.values, parameters.lengths, parameters.formats,
                    resultFormat.rawValue
                )
                return try check(result, query: sql)
            }
            do {
                return try prepareAndRun()
            } catch let error as PostgresError where error.code == .invalidSQLStatementName {
                preparedStatements = [:]
                guard PQtransactionStatus(connection) == PQTRANS_IDLE else { throw error }
                return try prepareAndRun()
            }
        }
    }

    /// The simple-query protocol: several statements in one string, no binds.
    func executeSimple(_ sql: String) throws -> PostgresResult {
        let connection = try live(for: sql)
        return try check(PQexec(connection, sql), query: sql)
    }

    // MARK: Transactions

    /// COMMIT, unless an error inside the transaction already doomed it: then ROLLBACK and throw,
    /// because a COMMIT would roll back silently and report success.
    func commit() throws {
        let connection = try live(for: "COMMIT")
        if PQtransactionStatus(connection) == PQTRANS_INERROR {
            _ = try executeSimple("ROLLBACK")
            throw PostgresError(
                code: .inFailedSQLTransaction,
                message: "the transaction was rolled back, not committed: a statement in it had failed",
                query: "COMMIT"
            )
        }
        _ = try executeSimple("COMMIT")
    }

    /// ROLLBACK if a transaction is open; a no-op otherwise (for instance after a failed COMMIT).
    func rollbackIfInTransaction() throws {
        let connection = try live(for: "ROLLBACK")
        let status = PQtransactionStatus(connection)
        if status == PQTRANS_INTRANS || status == PQTRANS_INERROR {
            _ = try executeSimple("ROLLBACK")
        }
    }

    // MARK: COPY FROM STDIN

    func startCopy(_ sql: String) throws {
        let connection = try live(for: sql)
        guard let result = PQexec(connection, sql) else { throw connectionError(query: sql) }
        guard PQresultStatus(result) == PGRES_COPY_IN else {
            _ = try check(result, query: sql)
            throw PostgresError(code: .protocolViolation, message: "the server did not start COPY FROM STDIN", query: sql)
        }
        PQclear(result)
    }

    func putCopyData(_ chunk: [UInt8], query: String) throws {
        let connection = try live(for: query)
        let status = chunk.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(connection, $0.baseAddress, Int32($0.count)) }
        }
        guard status == 1 else { throw connectionError(query: query) }
    }

    /// Ends the COPY; with `failure`, the server aborts it and nothing is inserted.
    func endCopy(failure: String?, query: String) throws -> PostgresResult {
        let connection = try live(for: query)
        guard PQputCopyEnd(connection, failure) == 1 else { throw connectionError(query: query) }
        let result = PQgetResult(connection)
        while let extra = PQgetResult(connection) { PQclear(extra) }
        return try check(result, query: query)
    }

    // MARK: LISTEN/NOTIFY

    /// Waits up to `timeout` milliseconds for the socket, then returns whatever notifications arrived.
    func waitForNotifications(timeout: Int32) throws -> [PostgresNotification] {
        let connection = try live(for: nil)
        var notifications = drainNotifications(connection)
        guard notifications.isEmpty else { return notifications }

        let socket = PQsocket(connection)
        guard socket >= 0 else { throw connectionError(query: nil) }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, timeout)
        if ready < 0, errno != EINTR {
            throw PostgresError(code: .protocolViolation, message: "poll() on the connection's socket failed: errno \(errno)")
        }
        if ready > 0 {
            // Also reads the ErrorResponse and EOF of a terminated session, which breaks the connection.
            if PQconsumeInput(connection) == 0 || PQstatus(connection) == CONNECTION_BAD {
                throw connectionError(query: nil)
            }
        }
        notifications = drainNotifications(connection)
        return notifications
    }

    private func drainNotifications(_ connection: OpaquePointer) -> [PostgresNotification] {
        var notifications: [PostgresNotification] = []
        while let notify = PQnotifies(connection) {
            notifications.append(
                PostgresNotification(
                    channel: String(cString: notify.pointee.relname),
                    payload: String(cString: notify.pointee.extra),
                    processID: notify.pointee.be_pid
                )
            )
            PQfreemem(notify)
        }
        return notifications
    }

    // MARK: Results and errors

    private func live(for query: String?) throws -> OpaquePointer {
        guard let raw, !isBroken else {
            throw PostgresError(code: .connectionClosed, message: "the connection is closed", query: query)
        }
        if let query { try Self.rejectNUL(in: query, what: "SQL text", query: query) }
        return raw
    }

    /// Takes ownership of `result`: returns it wrapped, or clears it and throws.
    private func check(_ result: OpaquePointer?, query: String?) throws -> PostgresResult {
        guard let result else { throw connectionError(query: query) }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            forgetPreparedStatementsIfDiscarded(result)
            return PostgresResult(result)
        case PGRES_FATAL_ERROR:
            let error = serverError(result, query: query)
            PQclear(result)
            throw error
        case PGRES_COPY_IN, PGRES_COPY_OUT:
            PQclear(result)
            abandonCopy()
            throw PostgresError(
                code: .protocolViolation,
                message: "COPY FROM STDIN runs through copyFrom(table:columns:rows:); COPY TO STDOUT is not supported",
                query: query
            )
        default:
            let name = String(cString: PQresStatus(status))
            PQclear(result)
            throw PostgresError(code: .protocolViolation, message: "unexpected libpq result status \(name)", query: query)
        }
    }

    /// `DISCARD ALL` and `DEALLOCATE [ALL]` drop the session's prepared statements on the
    /// server; the cache must forget them too, or the next `executePrepared` runs a name the
    /// server no longer knows.
    private func forgetPreparedStatementsIfDiscarded(_ result: OpaquePointer) {
        guard !preparedStatements.isEmpty, let tag = PQcmdStatus(result), tag.pointee == 0x44 /* D */ else { return }
        let command = String(cString: tag)
        if command == "DISCARD ALL" || command.hasPrefix("DEALLOCATE") {
            preparedStatements = [:]
        }
    }

    /// Gets the session out of a COPY that `query` or `execute` started by accident.
    private func abandonCopy() {
        guard let raw else { return }
        _ = PQputCopyEnd(raw, "COPY is not supported through this call")
        var buffer: UnsafeMutablePointer<CChar>?
        while PQgetCopyData(raw, &buffer, 0) > 0 {
            PQfreemem(buffer)
        }
        while let result = PQgetResult(raw) {
            PQclear(result)
        }
    }

    private func serverError(_ result: OpaquePointer, query: String?) -> PostgresError {
        func field(_ code: Int32) -> String? {
            PQresultErrorField(result, code).map { String(cString: $0) }
        }
        let sqlState = field(CLIBPQ_DIAG_SQLSTATE)
        var error = PostgresError(
            code: sqlState.map(PostgresError.Code.init(sqlState:)) ?? .protocolViolation,
            message: field(CLIBPQ_DIAG_MESSAGE_PRIMARY)
                ?? String(cString: PQresultErrorMessage(result)).trimmingTrailingNewlines(),
            sqlState: sqlState,
            detail: field(CLIBPQ_DIAG_MESSAGE_DETAIL),
            hint: field(CLIBPQ_DIAG_MESSAGE_HINT),
            constraint: field(CLIBPQ_DIAG_CONSTRAINT_NAME),
            table: field(CLIBPQ_DIAG_TABLE_NAME),
            column: field(CLIBPQ_DIAG_COLUMN_NAME),
            query: query
        )
        // A terminated session (57P01 and friends) arrives as a FATAL error and leaves the PGconn dead:
        // for callers and the pool that is a lost connection, whatever the SQLSTATE.
        if let raw, PQstatus(raw) == CONNECTION_BAD {
            isBroken = true
            error.code = .connectionClosed
        }
        return error
    }

    /// For calls that return no result: the reason is in `PQerrorMessage`.
    private func connectionError(query: String?) -> PostgresError {
        let message = raw.map { String(cString: PQerrorMessage($0)).trimmingTrailingNewlines() } ?? ""
        if let raw, PQstatus(raw) != CONNECTION_BAD {
            return PostgresError(code: .protocolViolation, message: message, query: query)
        }
        isBroken = true
        return PostgresError(
            code: .connectionClosed,
            message: message.isEmpty ? "the connection to the server was lost" : message,
            query: query
        )
    }

    static func rejectNUL(in text: String, what: String, query: String?) throws {
        if text.utf8.contains(0) {
            throw PostgresError(
                code: .characterNotInRepertoire,
                message: "\(what) contains a NUL character, which PostgreSQL text cannot hold",
                query: query
            )
        }
    }
}

/// Sends a cancel request for the statement that one work item is running, from any thread.
///
/// `PQcancel` opens a connection of its own to the server and blocks until the server has
/// passed the request on, so it never runs on Swift's cooperative pool. The lock is held
/// while the request is sent, and the work item takes it to mark its statement finished,
/// so a request meant for one statement has reached the server before the connection can
/// start the next one, and the server drops a request that finds the session idle.
final class StatementCanceller: Sendable {
    /// `@unchecked Sendable` is safe because libpq made `PGcancel` for use from other threads
    /// (`PQcancel` is thread-safe; the `PGconn` is not touched), and every use of it here is
    /// under the lock, including `PQfreeCancel`, after which it is never used again.
    private struct CancelHandle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private struct State {
        /// The `PGcancel`; nil once freed, or if libpq could not make one.
        var cancel: CancelHandle?
        /// The token of the work item running a statement now.
        var running: UInt64?
    }

    private let state: Mutex<State>
    private let nextToken = Atomic<UInt64>(0)

    init(_ cancel: OpaquePointer?) {
        state = Mutex(State(cancel: cancel.map(CancelHandle.init), running: nil))
    }

    func makeToken() -> UInt64 {
        nextToken.add(1, ordering: .relaxed).newValue
    }

    /// On the connection's thread, before the statement is sent.
    func begin(_ token: UInt64) {
        state.withLock { $0.running = token }
    }

    /// On the connection's thread, once the statement's result is in.
    func end() {
        state.withLock { $0.running = nil }
    }

    /// Blocks. Sends a cancel request if the work item `token` is still running; false if it is
    /// not (it has not started, or it has finished) or the request could not be sent.
    func cancel(_ token: UInt64) -> Bool {
        state.withLock { state in
            guard let cancel = state.cancel, state.running == token else { return false }
            var errorBuffer = [CChar](repeating: 0, count: 256)
            return PQcancel(cancel.pointer, &errorBuffer, Int32(errorBuffer.count)) == 1
        }
    }

    /// True while the work item `token` runs.
    func isRunning(_ token: UInt64) -> Bool {
        state.withLock { $0.running == token }
    }

    /// Blocks. Sends the request, and sends it again while the work item still runs: one that
    /// reaches the server between the work item's start and its statement's arrival finds the
    /// session idle and is dropped. Gives up after about two seconds.
    func cancelUntilStopped(_ token: UInt64) {
        for attempt in 0..<20 {
            if attempt > 0 {
                guard isRunning(token) else { return }
                Thread.sleep(forTimeInterval: 0.1)
            }
            _ = cancel(token)
        }
    }

    func free() {
        state.withLock { state in
            if let cancel = state.cancel { PQfreeCancel(cancel.pointer) }
            state.cancel = nil
        }
    }
}

/// Routes server notices (`NOTICE: drop cascades to …`) to the connection's logger.
private final class NoticeLogger: Sendable {
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func log(_ result: OpaquePointer) {
        let severity = PQresultErrorField(result, CLIBPQ_DIAG_SEVERITY_NONLOCALIZED).map { String(cString: $0) } ?? ""
        let message = PQresultErrorField(result, CLIBPQ_DIAG_MESSAGE_PRIMARY).map { String(cString: $0) } ?? ""
        let level: Logger.Level = severity == "WARNING" ? .warning : .debug
        logger.log(level: level, "Server notice", metadata: [
            "postgres.severity": .string(severity),
            "postgres.notice": .string(message),
        ])
    }
}

/// A NULL-terminated `const char *[]` for libpq, valid only inside `body`.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) throws -> R) rethrows -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return try pointers.withUnsafeBufferPointer { try body($0.baseAddress!) }
}

/// The four parallel arrays `PQexecParams` and `PQexecPrepared` take, valid only inside the closure.
struct LibPQParameters {
    let count: Int32
    let types: UnsafePointer<UInt32>?
    let values: UnsafePointer<UnsafePointer<CChar>?>?
    let lengths: UnsafePointer<Int32>?
    let formats: UnsafePointer<Int32>?
}

extension PostgresBindings {
    /// Lays all values out in one buffer, NUL-terminating text; throws for text libpq would truncate.
    func withLibPQParameters<R>(query: String, _ body: (LibPQParameters) throws -> R) throws -> R {
        // Starts non-empty so that even an empty binary value has a valid, non-NULL address.
        var storage: [UInt8] = [0]
        var offsets: [Int?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        for (index, parameter) in parameters.enumerated() {
            switch parameter.value {
            case nil:
                offsets.append(nil)
                lengths.append(0)
                formats.append(0)
            case .text(let text):
                try LibPQConnection.rejectNUL(in: text, what: "parameter $\(index + 1)", query: query)
                offsets.append(storage.count)
                storage.append(contentsOf: text.utf8)
                storage.append(0)
                lengths.append(0)
                formats.append(0)
            case .binary(let bytes):
                guard bytes.count <= Int32.max else {
                    throw PostgresError(code: .encodingFailed, message: "parameter $\(index + 1) is larger than 2 GiB", query: query)
                }
                offsets.append(storage.count)
                storage.append(contentsOf: bytes)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            case .failure(let reason):
                throw PostgresError(code: .encodingFailed, message: "parameter $\(index + 1): \(reason)", query: query)
            }
        }
        let types = parameters.map(\.type.rawValue)

        return try storage.withUnsafeBytes { bytes in
            let values = offsets.map { offset in
                offset.map { bytes.baseAddress!.advanced(by: $0).assumingMemoryBound(to: CChar.self) }
            }
            return try values.withUnsafeBufferPointer { values in
                try types.withUnsafeBufferPointer { types in
                    try lengths.withUnsafeBufferPointer { lengths in
                        try formats.withUnsafeBufferPointer { formats in
                            try body(LibPQParameters(
                                count: Int32(parameters.count),
                                types: types.baseAddress,
                                values: values.baseAddress,
                                lengths: lengths.baseAddress,
                                formats: formats.baseAddress
                            ))
                        }
                    }
                }
            }
        }
    }
}

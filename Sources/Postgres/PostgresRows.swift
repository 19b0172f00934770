import Foundation
internal import CLibPQ

/// The rows a statement returned, all in memory, plus its row count.
public struct PostgresRows: Sendable, RandomAccessCollection {
    let result: PostgresResult

    public var startIndex: Int { 0 }
    public var endIndex: Int { result.rowCount }

    public subscript(position: Int) -> PostgresRow {
        precondition(indices.contains(position), "row index \(position) out of range 0..<\(count)")
        return PostgresRow(result: result, index: position)
    }

    /// Rows inserted, updated, deleted, selected or copied, as the server's command tag reports.
    public var affectedRows: Int { result.affectedRows }

    public var columnNames: [String] { result.columnNames }
}

/// One result row; values are decoded on demand, from PostgreSQL's text format or, for a
/// statement run with `PostgresResultFormat.binary`, from each type's binary format.
public struct PostgresRow: Sendable {
    let result: PostgresResult
    /// The row's position in its `PostgresRows`.
    public let index: Int

    public var columnNames: [String] { result.columnNames }

    public func isNull(at column: Int) -> Bool {
        precondition(result.columnNames.indices.contains(column), "column index \(column) out of range")
        return result.isNull(row: index, column: column)
    }

    public func isNull(column name: String) throws -> Bool {
        isNull(at: try columnIndex(name))
    }

    /// Throws `.decodingFailed` for NULL into a non-optional type, or text that is not a `T`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at column: Int) throws -> T {
        guard result.columnNames.indices.contains(column) else {
            throw PostgresError(
                code: .decodingFailed,
                message: "no column at index \(column); the result has \(result.columnNames.count)"
            )
        }
        if result.isNull(row: index, column: column) {
            guard let null = T.postgresNull else {
                throw decodingError(column, "is NULL, which \(T.self) cannot represent; decode \(T.self)? instead")
            }
            return null
        }
        if result.isBinary(column: column) {
            guard let value = result.withBinary(row: index, column: column, T.init(postgresBinary:)) else {
                throw decodingError(column, "holds a binary value that is not a valid \(T.self)")
            }
            return value
        }
        guard let value = T(postgresText: result.text(row: index, column: column)) else {
            throw decodingError(column, "holds a value that is not a valid \(T.self)")
        }
        return value
    }

    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, column name: String) throws -> T {
        try decode(type, at: try columnIndex(name))
    }

    /// Decodes a `json`, `jsonb` or text column with `JSONDecoder`; SQL NULL throws.
    public func decode<T: Decodable>(
        _ type: T.Type,
        fromJSONAt column: Int,
        decoder: JSONDecoder = JSONDecoder()
    ) throws -> T {
        let json = try decode(PostgresJSONB.self, at: column)
        do {
            return try decoder.decode(type, from: Data(json.rawJSON.utf8))
        } catch {
            throw decodingError(column, "holds JSON that does not decode as \(T.self): \(error)")
        }
    }

    public func decode<T: Decodable>(
        _ type: T.Type,
        fromJSONColumn name: String,
        decoder: JSONDecoder = JSONDecoder()
    ) throws -> T {
        try decode(type, fromJSONAt: try columnIndex(name), decoder: decoder)
    }

    private func columnIndex(_ name: String) throws -> Int {
        // Exact match: PQfnumber would fold unquoted names to lower case.
        guard let column = result.columnNames.firstIndex(of: name) else {
            throw PostgresError(
                code: .decodingFailed,
                message: "no column named \"\(name)\"; the result has \(result.columnNames)",
                column: name
            )
        }
        return column
    }

    /// Names the column and its type, never the value: values may be personal data, and errors get logged.
    private func decodingError(_ column: Int, _ problem: String) -> PostgresError {
        let name = result.columnNames[column]
        return PostgresError(
            code: .decodingFailed,
            message: "column \"\(name)\" (index \(column), type oid \(result.typeOID(column: column))) \(problem)",
            column: name
        )
    }
}

/// Owns a `PGresult` and frees it when the last row referring to it is gone.
///
/// `@unchecked Sendable` is safe because the result is never mutated after libpq hands it over:
/// libpq documents that a `PGresult` is read-only after creation and "can be passed around
/// freely between threads". Only the accessors below read it, and `PQclear` runs in `deinit`,
/// when no other reference exists.
final class PostgresResult: @unchecked Sendable {
    private let raw: OpaquePointer
    let rowCount: Int
    let columnNames: [String]
    let affectedRows: Int
    /// Per column: whether its values are in binary format.
    private let binaryColumns: [Bool]
    private let columnTypes: [PostgresDataType]

    init(_ raw: OpaquePointer) {
        self.raw = raw
        rowCount = Int(PQntuples(raw))
        columnNames = (0..<PQnfields(raw)).map { String(cString: PQfname(raw, $0)) }
        binaryColumns = (0..<PQnfields(raw)).map { PQfformat(raw, $0) == 1 }
        columnTypes = (0..<PQnfields(raw)).map { PostgresDataType(rawValue: PQftype(raw, $0)) }
        affectedRows = Int(String(cString: PQcmdTuples(raw))) ?? 0
    }

    deinit {
        PQclear(raw)
    }

    /// The command tag, e.g. `INSERT 0 1` or `ROLLBACK`.
    var commandStatus: String {
        String(cString: PQcmdStatus(raw))
    }

    func isNull(row: Int, column: Int) -> Bool {
        PQgetisnull(raw, Int32(row), Int32(column)) == 1
    }

    func text(row: Int, column: Int) -> String {
        let length = Int(PQgetlength(raw, Int32(row), Int32(column)))
        return PQgetvalue(raw, Int32(row), Int32(column)).withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    func isBinary(column: Int) -> Bool {
        binaryColumns[column]
    }

    /// Lends the value's bytes to `body`; they belong to the result and must not escape.
    @inline(__always)
    func withBinary<T>(row: Int, column: Int, _ body: (PostgresBinaryValue) -> T) -> T {
        let length = Int(PQgetlength(raw, Int32(row), Int32(column)))
        let bytes = UnsafeRawBufferPointer(start: PQgetvalue(raw, Int32(row), Int32(column)), count: length)
        return body(PostgresBinaryValue(type: columnTypes[column], bytes: bytes))
    }

    func typeOID(column: Int) -> UInt32 {
        PQftype(raw, Int32(column))
    }
}

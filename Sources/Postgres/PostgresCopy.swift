/// One field of a row for `copyFrom`: any bind value, or NULL.
public struct PostgresCopyValue: Sendable, ExpressibleByNilLiteral, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    /// The value as a bind parameter would carry it; `nil` is NULL.
    let value: PostgresBindings.Parameter.Value?

    public static let null = PostgresCopyValue(nilLiteral: ())

    public init(_ value: some PostgresEncodable) {
        var bindings = PostgresBindings()
        value.encode(into: &bindings)
        guard bindings.count == 1 else {
            self.value = .failure("\(type(of: value)) encoded \(bindings.count) values instead of one")
            return
        }
        self.value = bindings.parameters[0].value
    }

    public init(nilLiteral: ()) {
        value = nil
    }

    public init(stringLiteral text: String) {
        value = .text(text)
    }

    public init(integerLiteral number: Int) {
        value = .text(String(number))
    }
}

extension PostgresConnection {
    /// Bulk-inserts rows with `COPY … FROM STDIN` (text format), the fastest way in; returns the row count.
    ///
    /// Rows are encoded on the calling task and sent in chunks of about 512 KiB. If anything fails,
    /// a value that cannot be encoded, a constraint, cancellation, nothing is inserted.
    nonisolated(nonsending)
    public func copyFrom(
        table: String,
        schema: String? = nil,
        columns: [String],
        rows: some Sequence<[PostgresCopyValue]>
    ) async throws -> Int {
        let target = (schema.map { PostgresQuery.quoteIdentifier($0) + "." } ?? "") + PostgresQuery.quoteIdentifier(table)
        let columnList = columns.map(PostgresQuery.quoteIdentifier).joined(separator: ", ")
        let sql = "COPY \(target) (\(columnList)) FROM STDIN"
        logger.debug("Copy", metadata: ["postgres.query": "\(sql)"])

        try await run(query: sql) { try $0.startCopy(sql) }
        // From here the session is in COPY mode, so every exit must end the COPY: no cancellable work.
        var encoder = CopyEncoder(columnCount: columns.count, query: sql)
        do {
            for row in rows {
                try encoder.append(row)
                if encoder.buffer.count >= CopyEncoder.chunkSize {
                    let chunk = encoder.takeBuffer()
                    try await run(query: sql, cancellable: false) { try $0.putCopyData(chunk, query: sql) }
                    if Task.isCancelled {
                        throw PostgresError(code: .queryCanceled, message: "the task was cancelled during COPY", query: sql)
                    }
                }
            }
            if !encoder.buffer.isEmpty {
                let chunk = encoder.takeBuffer()
                try await run(query: sql, cancellable: false) { try $0.putCopyData(chunk, query: sql) }
            }
        } catch {
            let reason = (error as? PostgresError)?.message ?? "\(error)"
            do {
                _ = try await run(query: sql, cancellable: false) { try $0.endCopy(failure: reason, query: sql) }
            } catch let serverError as PostgresError where serverError.sqlState != nil && serverError.sqlState != "57014" {
                // The server had already failed the COPY (57014 is just our own abort echoed back):
                // its error says more than the send that noticed it.
                throw serverError
            } catch {}
            throw error
        }
        let result = try await run(query: sql, cancellable: false) { try $0.endCopy(failure: nil, query: sql) }
        return result.affectedRows
    }
}

/// Builds COPY text-format data: tab-separated fields, one line per row, `\N` for NULL.
struct CopyEncoder {
    static let chunkSize = 512 * 1024

    private(set) var buffer: [UInt8] = []
    private let columnCount: Int
    private let query: String
    private var rowNumber = 0

    init(columnCount: Int, query: String) {
        self.columnCount = columnCount
        self.query = query
        buffer.reserveCapacity(Self.chunkSize + 4096)
    }

    mutating func takeBuffer() -> [UInt8] {
        defer { buffer.removeAll(keepingCapacity: true) }
        return buffer
    }

    mutating func append(_ row: [PostgresCopyValue]) throws {
        rowNumber += 1
        guard row.count == columnCount else {
            throw PostgresError(
                code: .encodingFailed,
                message: "row \(rowNumber) has \(row.count) values for \(columnCount) columns",
                query: query
            )
        }
        for (index, field) in row.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: "\t")) }
            switch field.value {
            case nil:
                buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
            case .text(let text):
                try appendEscaped(text.utf8, column: index)
            case .binary(let bytes):
                // Only bytea travels as binary; COPY's text format wants its hex form.
                try appendEscaped(PostgresByteaText.format(bytes).utf8, column: index)
            case .failure(let reason):
                throw PostgresError(code: .encodingFailed, message: "row \(rowNumber), column \(index + 1): \(reason)", query: query)
            }
        }
        buffer.append(UInt8(ascii: "\n"))
    }

    /// Backslash, tab, newline and carriage return are the bytes COPY's text format gives meaning to.
    /// Multi-byte UTF-8 sequences never contain them, so working on bytes is safe.
    private mutating func appendEscaped(_ utf8: String.UTF8View, column: Int) throws {
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\t"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case UInt8(ascii: "\n"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0:
                throw PostgresError(
                    code: .characterNotInRepertoire,
                    message: "row \(rowNumber), column \(column + 1) contains a NUL character, which PostgreSQL text cannot hold",
                    query: query
                )
            default: buffer.append(byte)
            }
        }
    }
}

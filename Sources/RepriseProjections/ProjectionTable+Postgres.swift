import Postgres
import RepriseProjectionCore

/// A declared projection table as SQL: every name quoted, nothing spliced from text.
extension ProjectionTable {
    /// The table's name in one generation.
    public func physicalName(generation: Int) -> PostgresIdentifier {
        // Declared in code and short: a bad name is a programming error.
        try! PostgresIdentifier(rawName(generation: generation))
    }

    var keyIdentifier: PostgresQuery { "\(identifier: keyColumn)" }

    /// The key column, then the columns, as `encode` orders them.
    var allColumns: PostgresQuery {
        .list(["\(identifier: keyColumn)"] + columns.map { "\(identifier: $0.name)" })
    }

    /// The same columns, each as text: how loads read them.
    var allColumnsAsText: PostgresQuery {
        .list(["\(identifier: keyColumn)::text"] + columns.map { "\(identifier: $0.name)::text" })
    }

    var orderBy: PostgresQuery { .list(primaryKey.map { "\(identifier: $0)" }) }

    /// The body of CREATE TABLE.
    var definition: PostgresQuery {
        let key: PostgresQuery = "\(identifier: keyColumn) text NOT NULL"
        let others = columns.map { column -> PostgresQuery in
            "\(identifier: column.name) \(identifier: column.type.postgresName) NOT NULL"
        }
        return .list([key] + others + ["PRIMARY KEY (\(orderBy))"])
    }

    /// `SELECT key, columns… FROM t WHERE key = ANY(keys)`, every column as text.
    func loadQuery(generation: Int, keys: [String]) -> PostgresQuery {
        "SELECT \(allColumnsAsText) FROM \(physicalName(generation: generation)) WHERE \(keyIdentifier) = ANY(\(keys)::text[]) ORDER BY \(orderBy)"
    }

    /// Every key whose boolean `column` is true, except `excluding`.
    func flaggedQuery(generation: Int, column: String, excluding: [String]) -> PostgresQuery {
        """
        SELECT \(allColumnsAsText) FROM \(physicalName(generation: generation))
        WHERE \(identifier: column) AND NOT (\(keyIdentifier) = ANY(\(excluding)::text[])) ORDER BY \(orderBy)
        """
    }

    func deleteQuery(generation: Int, keys: [String]) -> PostgresQuery {
        "DELETE FROM \(physicalName(generation: generation)) WHERE \(keyIdentifier) = ANY(\(keys)::text[])"
    }

    /// One INSERT of all `rows` (key first, then the columns), sent as one JSON document
    /// of records (`c0`, `c1`, … as text) and cast to the column types on the server: one
    /// bind whatever the number of rows or columns.
    func insertQuery(generation: Int, rows: [[String]]) -> PostgresQuery {
        let names = (0...columns.count).map { "c\($0)" }
        let record = PostgresQuery.list(names.map { "\(identifier: $0) text" })
        let casts = PostgresQuery.list(names.enumerated().map { index, name -> PostgresQuery in
            index == 0 ? "\(identifier: name)" : "\(identifier: name)::\(identifier: columns[index - 1].type.postgresName)"
        })
        let document = ProjectionRowsDocument.encode(rows, names: names)
        return """
            INSERT INTO \(physicalName(generation: generation)) (\(allColumns))
            SELECT \(casts) FROM jsonb_to_recordset(\(document)::jsonb) AS r(\(record))
            """
    }
}

/// `[{"c0": "…", "c1": "…"}, …]`, written by hand: rebuilds send millions of values.
enum ProjectionRowsDocument {
    static func encode(_ rows: [[String]], names: [String]) -> String {
        var out = "["
        out.reserveCapacity(rows.count * 64)
        for (rowIndex, row) in rows.enumerated() {
            if rowIndex > 0 { out.append(",") }
            out.append("{")
            for (index, value) in row.enumerated() {
                if index > 0 { out.append(",") }
                out.append("\"")
                out.append(names[index])
                out.append("\":")
                appendString(value, to: &out)
            }
            out.append("}")
        }
        out.append("]")
        return out
    }

    private static func appendString(_ value: String, to out: inout String) {
        out.append("\"")
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case _ where scalar.value < 0x20:
                out.append("\\u")
                let hex = String(scalar.value, radix: 16)
                out.append(String(repeating: "0", count: 4 - hex.count) + hex)
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }
}

extension PostgresQuery {
    /// `a, b, c`: fragments joined with commas (their binds, if any, kept in order).
    static func list(_ items: [PostgresQuery]) -> PostgresQuery {
        guard var joined = items.first else { return "" }
        for item in items.dropFirst() { joined = "\(joined), \(item)" }
        return joined
    }
}

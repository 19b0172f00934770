import RepriseDomain

/// The catalog's closed lists as `schemas/openapi.yaml` states them: the schemas `Market`,
/// `Surface`, `Segment` and `Currency`, between two marker comments, written from
/// `RepriseDomain.Catalog` by `reprise openapi catalog` and never by hand.
public enum OpenAPICatalog {
    public static let beginMarker = "    # BEGIN generated from RepriseDomain.Catalog by `reprise openapi catalog`; do not edit by hand."
    public static let endMarker = "    # END generated from RepriseDomain.Catalog."

    /// The generated block, markers included, each line ending in a newline.
    public static func block() -> String {
        var lines = [beginMarker]
        lines += schema(
            "Market", "A market, as an ISO 3166-1 alpha-2 country code from the catalog (\(Catalog.markets.count) codes).",
            Catalog.markets.map(\.rawValue)
        )
        lines += schema("Surface", "A surface of the listening app where a promotion can appear.", Catalog.surfaces.map(\.rawValue))
        lines += schema("Segment", "A listener segment, by relation to the artist or by genre affinity.", Catalog.segments.map(\.rawValue))
        lines += schema(
            "Currency", "An ISO 4217 currency in circulation, from the catalog (\(Catalog.currencies.count) codes).",
            Catalog.currencies.map(\.rawValue)
        )
        lines.append(endMarker)
        return lines.map { $0 + "\n" }.joined()
    }

    /// `document` with its generated block replaced by `block()`.
    public static func updating(_ document: String) throws(OpenAPICatalogError) -> String {
        guard let begin = document.range(of: beginMarker + "\n"),
              let end = document.range(of: endMarker + "\n", range: begin.upperBound..<document.endIndex)
        else {
            throw OpenAPICatalogError(code: .markersMissing, description: "the document has no block between '\(beginMarker)' and '\(endMarker)'")
        }
        return String(document[..<begin.lowerBound]) + block() + String(document[end.upperBound...])
    }

    /// One schema: sorted values, each quoted (YAML 1.1 readers take a bare `NO` for false),
    /// wrapped in a flow sequence.
    private static func schema(_ name: String, _ description: String, _ values: [String]) -> [String] {
        var lines = ["    \(name):", "      description: \(description)", "      type: string", "      enum: ["]
        let items = values.sorted().map { "\"\($0)\"" }
        var line = "       "
        for (index, item) in items.enumerated() {
            let entry = " " + item + (index == items.count - 1 ? "" : ",")
            if line.count + entry.count > 100 {
                lines.append(line)
                line = "       "
            }
            line += entry
        }
        lines.append(line)
        lines.append("      ]")
        return lines
    }
}

/// The document has no generated block to replace.
public struct OpenAPICatalogError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        public let rawValue: String
        public static let markersMissing = Code(rawValue: "markers_missing")
    }

    public let code: Code
    public let description: String
}

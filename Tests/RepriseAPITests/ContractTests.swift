import Foundation
import RepriseAPI
import RepriseTestSupport
import Testing

/// The server and `schemas/openapi.yaml` describe the same routes.
@Suite struct ContractTests {
    @Test func everyRegisteredRouteIsDocumentedAndNoOther() async throws {
        let documented = try Self.documentedRoutes()
        try await APIHarness.with { api in
            let registered = Set(api.routes.map(\.description))
            #expect(registered == documented, "only registered: \(registered.subtracting(documented)); only documented: \(documented.subtracting(registered))")
            #expect(registered.count == api.routes.count)
        }
    }

    /// `METHOD /path` for every operation under `paths:`. The document is written in one
    /// regular layout (paths at two spaces, methods at four), which this reads without a
    /// YAML library.
    static func documentedRoutes() throws -> Set<String> {
        let url = URL(fileURLWithPath: MigratedDatabase.repositoryMigrations).deletingLastPathComponent()
            .appendingPathComponent("schemas/openapi.yaml")
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        var routes = Set<String>()
        var inPaths = false
        var path: String?
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" "), !line.isEmpty { inPaths = line == "paths:"; continue }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), let path {
                let name = line.trimmingCharacters(in: .whitespaces).dropLast()
                if methods.contains(String(name)) { routes.insert("\(name.uppercased()) \(path)") }
            }
        }
        return routes
    }
}

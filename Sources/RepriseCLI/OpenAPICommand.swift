import ArgumentParser
import Foundation
import RepriseAPI

/// `reprise openapi …`: keeps `schemas/openapi.yaml` equal to what the code enforces.
struct OpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi",
        abstract: "Keep the OpenAPI document in step with the code.",
        subcommands: [OpenAPICatalogCommand.self]
    )
}

struct OpenAPICatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Write the catalog's closed lists (markets, surfaces, segments, currencies) into the OpenAPI document.",
        discussion: "Replaces the block between the generated-block markers; `--check` only reports whether it is current."
    )

    @Option(name: .customLong("document"), help: "The OpenAPI document to update.")
    var document = "schemas/openapi.yaml"

    @Flag(help: "Change nothing; exit 1 if the document's lists differ from the catalog.")
    var check = false

    func run() throws {
        let current = try String(contentsOfFile: document, encoding: .utf8)
        let updated = try OpenAPICatalog.updating(current)
        if updated == current {
            print("\(document): the catalog's lists are current")
        } else if check {
            throw CLIFailure("\(document): the catalog's lists differ from RepriseDomain.Catalog; run `reprise openapi catalog`")
        } else {
            try updated.write(toFile: document, atomically: true, encoding: .utf8)
            print("\(document): the catalog's lists were rewritten")
        }
    }
}

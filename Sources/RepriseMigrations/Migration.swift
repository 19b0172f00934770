import Crypto
import Foundation
import RepriseDomain

/// One numbered SQL file from `migrations/`, e.g. `0001_event_store.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let fileName: String
    public let sql: String
    /// SHA-256 of the file's bytes, hex. An applied migration whose file no longer
    /// hashes to this was edited, and the runner refuses to go on.
    public let checksum: String

    public init(version: Int, name: String, fileName: String, sql: String) {
        self.version = version
        self.name = name
        self.fileName = fileName
        self.sql = sql
        self.checksum = Hex.encode(SHA256.hash(data: Data(sql.utf8)))
    }

    /// Reads every `NNNN_name.sql` in `directory`, sorted by version.
    public static func load(from directory: String) throws(MigrationError) -> [Migration] {
        let fileNames: [String]
        do {
            fileNames = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw MigrationError(.directoryUnreadable, "cannot read the migrations folder '\(directory)': \(error.localizedDescription)")
        }
        var migrations: [Migration] = []
        for fileName in fileNames.sorted() where fileName.hasSuffix(".sql") {
            guard let (version, name) = parse(fileName: fileName) else {
                throw MigrationError(.invalidFileName, "'\(fileName)' is not named NNNN_description.sql")
            }
            let path = (directory as NSString).appendingPathComponent(fileName)
            guard let data = FileManager.default.contents(atPath: path), let sql = String(data: data, encoding: .utf8) else {
                throw MigrationError(.directoryUnreadable, "cannot read '\(path)' as UTF-8")
            }
            if let clash = migrations.first(where: { $0.version == version }) {
                throw MigrationError(.duplicateVersion, "'\(fileName)' and '\(clash.fileName)' share version \(version)")
            }
            migrations.append(Migration(version: version, name: name, fileName: fileName, sql: sql))
        }
        return migrations.sorted { $0.version < $1.version }
    }

    static func parse(fileName: String) -> (version: Int, name: String)? {
        let stem = fileName.dropLast(".sql".count)
        guard let underscore = stem.firstIndex(of: "_") else { return nil }
        let digits = stem[..<underscore]
        let name = stem[stem.index(after: underscore)...]
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
              let version = Int(digits), version > 0,
              !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
        else { return nil }
        return (version, String(name))
    }
}

import Testing

/// `reprise api-key hash` takes the key from standard input, never from its arguments, where
/// `ps` and the shell's history would show it.
@Suite struct APIKeyCommandTests {
    /// SHA-256 of "password", as the README's keys-file example holds it.
    static let passwordHash = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"

    @Test func hashesTheKeyReadFromStandardInput() async throws {
        let piped = try await RepriseBinary.run(["api-key", "hash"], input: "password\n")
        #expect(piped.status == 0)
        #expect(piped.output == Self.passwordHash + "\n")
        // `printf %s "$KEY" |` sends no line break; Windows editors send CRLF.
        #expect(try await RepriseBinary.run(["api-key", "hash"], input: "password").output == Self.passwordHash + "\n")
        #expect(try await RepriseBinary.run(["api-key", "hash"], input: "password\r\n").output == Self.passwordHash + "\n")
    }

    @Test func refusesAKeyOnTheCommandLineAndAnEmptyInput() async throws {
        let argument = try await RepriseBinary.run(["api-key", "hash", "password"], input: "")
        #expect(argument.status != 0)
        #expect(!argument.output.contains(Self.passwordHash))

        let empty = try await RepriseBinary.run(["api-key", "hash"], input: "")
        #expect(empty.status != 0)
        #expect(empty.error.contains("standard input"))
    }
}

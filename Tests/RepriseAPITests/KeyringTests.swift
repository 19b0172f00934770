import RepriseAPI
import Testing

@Suite struct KeyringTests {
    @Test func readsTheOperatorsKeysFile() throws {
        let text = """
            # role keys
            \(APIKeyring.hash("k1")) campaign-manager label-7,label-8

            \(APIKeyring.hash("k2")) auditor
            """
        let keyring = try APIKeyring(parsing: text)
        #expect(keyring.role(ofBearer: "Bearer k1") == .campaignManager)
        #expect(keyring.role(ofBearer: "bearer k2") == .auditor)
        #expect(keyring.role(ofBearer: "Bearer k3") == nil)
        #expect(keyring.role(ofBearer: "Basic k1") == nil)
    }

    @Test(arguments: [
        ("abc campaign-manager label-7", 1),
        ("\(APIKeyring.hash("k")) owner", 1),
        ("\(APIKeyring.hash("k")) campaign-manager", 1),
        ("\n\(APIKeyring.hash("k")) admin bad owner!", 2),
    ])
    func refusesABadLine(_ text: String, line: Int) {
        #expect(throws: APIKeyringError.self) { try APIKeyring(parsing: text) }
        do {
            _ = try APIKeyring(parsing: text)
        } catch {
            #expect(error.line == line)
        }
    }

    @Test func hashesAsSHA256Hex() {
        #expect(APIKeyring.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

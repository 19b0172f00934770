import Foundation
import Postgres
import Testing

@Suite("uuid text from the server")
struct UUIDTextParsingTests {
    @Test func parsesTheCanonicalFormInEitherCase() {
        for _ in 0..<100 {
            let id = UUID()
            #expect(UUID(postgresText: id.uuidString.lowercased()) == id)
            #expect(UUID(postgresText: id.uuidString) == id)
        }
    }

    @Test func refusesAnythingElse() {
        for text in ["", "not-a-uuid", "0000000000000000000000000000000", "00000000-0000-0000-0000-0000000000000",
                     "00000000-0000-0000-0000-00000000000g", "00000000000000000000000000000000"] {
            #expect(UUID(postgresText: text) == nil, "\(text)")
        }
    }
}

import Foundation
import RepriseEventLog
import Testing

@Suite struct UUIDTextTests {
    @Test func lowercasedTextIsTheCanonicalForm() {
        for _ in 0..<200 {
            let id = UUID()
            #expect(id.lowercasedText == id.uuidString.lowercased())
        }
        #expect(UUID(uuid: (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 255)).lowercasedText
            == "00010203-0405-0607-0809-0a0b0c0d0eff")
    }

    @Test func version7IDsSortByTime() {
        var generator = SystemRandomNumberGenerator()
        let early = EventIDGenerator.make(milliseconds: 1_795_000_000_000, using: &generator)
        let late = EventIDGenerator.make(milliseconds: 1_795_000_000_001, using: &generator)
        #expect(early.lowercasedText < late.lowercasedText)
        #expect(early.lowercasedText.dropFirst(14).first == "7")
    }
}

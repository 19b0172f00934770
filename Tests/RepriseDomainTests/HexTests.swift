import RepriseDomain
import Testing

@Suite struct HexTests {
    @Test func encodesLowercaseTwoDigitsAByte() {
        #expect(Hex.encode([UInt8]()) == "")
        #expect(Hex.encode([0x00, 0x0a, 0xff, 0x10]) == "000aff10")
        #expect(Hex.encode(0...255 as ClosedRange<UInt8>).count == 512)
    }

    @Test func decodesEitherCaseAndRefusesAnythingElse() {
        #expect(Hex.decode("000aFF10") == [0x00, 0x0a, 0xff, 0x10])
        #expect(Hex.decode("") == [])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("0g") == nil)
        #expect(Hex.decode(" a") == nil)
    }

    @Test func roundTrips() {
        let bytes = (0...255).map { UInt8($0) }
        #expect(Hex.decode(Hex.encode(bytes)) == bytes)
    }
}

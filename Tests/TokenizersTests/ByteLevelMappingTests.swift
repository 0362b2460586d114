import Testing
@testable import Tokenizers

@Suite struct ByteLevelMappingTests {
    @Test func spaceAndNewlineMapToGPT2Characters() {
        #expect(ByteLevelMapping.encode([0x20, 0x0A, 0x41]) == "ĠĊA")
        #expect(ByteLevelMapping.decode("ĠĊA") == [0x20, 0x0A, 0x41])
    }

    @Test func everyByteRoundTrips() {
        let all = (0...255).map { UInt8($0) }
        #expect(ByteLevelMapping.decode(ByteLevelMapping.encode(all)) == all)
        #expect(Set(ByteLevelMapping.scalarForByte).count == 256)
    }

    @Test func textOutsideTheMapIsNotByteLevel() {
        #expect(ByteLevelMapping.decode("a b") == nil)
    }
}

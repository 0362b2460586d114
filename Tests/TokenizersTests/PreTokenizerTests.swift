import Testing
@testable import Tokenizers

/// The hand-written splitters against what their regexes match (derived by hand from the regex
/// semantics; the llama.cpp vectors cover them on real text too).
@Suite struct PreTokenizerTests {
    static func words(_ preTokenizer: PreTokenizer, _ text: String) -> [String] {
        let utf8 = Array(text.utf8)
        return utf8.withUnsafeBufferPointer { buffer in
            let classes = ScalarClasses(buffer)
            var ranges: [Range<Int>] = []
            preTokenizer.split(classes, into: &ranges)
            return ranges.map { range in
                String(decoding: utf8[classes.byteOffsets[range.lowerBound]..<classes.byteOffsets[range.upperBound]], as: UTF8.self)
            }
        }
    }

    @Test func gpt2() {
        #expect(Self.words(.gpt2, "Hello world's  test 12345\n\n x") ==
            ["Hello", " world", "'s", " ", " test", " 12345", "\n\n", " x"])
        #expect(Self.words(.gpt2, "I'M fine!!\tok  ") == ["I", "'", "M", " fine", "!!", "\t", "ok", "  "])
        #expect(Self.words(.gpt2, "café 東京 🦙") == ["café", " 東京", " 🦙"])
    }

    @Test func llama3() {
        #expect(Self.words(.llama3, "Hello world's  test 12345\n\n x") ==
            ["Hello", " world", "'s", " ", " test", " ", "123", "45", "\n\n", " x"])
        #expect(Self.words(.llama3, "I'M fine!!\n\nthere\tok") == ["I", "'M", " fine", "!!\n\n", "there", "\tok"])
        #expect(Self.words(.llama3, "a \n\n  b") == ["a", " \n\n", " ", " b"])
    }

    @Test func qwen2IsolatesEveryDigit() {
        #expect(Self.words(.qwen2, "x 12345") == ["x", " ", "1", "2", "3", "4", "5"])
    }

    @Test func smollmIsolatesDigitsBeforeGPT2() {
        #expect(Self.words(.smollm, "ab 12 cd") == ["ab", " ", "1", "2", " cd"])
        #expect(Self.words(.smollm, "v2.0") == ["v", "2", ".", "0"])
    }

    @Test func wordsCoverTheText() {
        let text = "Émile Zola — café\r\n東京 🦙 123456789 it's ''  \t x"
        for preTokenizer in PreTokenizer.allCases {
            #expect(Self.words(preTokenizer, text).joined() == text, "\(preTokenizer)")
        }
    }
}

@Suite struct JSONValueTests {
    @Test func keepsCanonicallyEquivalentKeysApart() throws {
        // "é" precomposed and decomposed: equal as Swift Strings, different tokens.
        let json = try JSONValue.parse(Array("{\"\u{E9}\": 1, \"e\u{301}\": 2}".utf8), source: "test")
        let members = try #require(json.members)
        #expect(members.count == 2)
        #expect(Array(members[0].key.utf8) == [0xC3, 0xA9])
        #expect(Array(members[1].key.utf8) == [0x65, 0xCC, 0x81])
    }

    @Test func decodesEscapes() throws {
        let json = try JSONValue.parse(Array(#"["a\"b\\\/\n\t", "\u00e9\ud83e\udd99", -1.5e2, true, null, {}]"#.utf8), source: "test")
        let items = try #require(json.array)
        #expect(items[0].string == "a\"b\\/\n\t")
        #expect(items[1].string == "é🦙")
        #expect(items[2].int == -150)
        #expect(items[3].bool == true && items[4].isNull && items[5].members?.isEmpty == true)
    }

    @Test func rejectsBrokenDocuments() {
        for broken in ["[1,]", "{\"a\" 1}", "\"abc", "[\"\\ud800\"]", "nul", "[1] [2]", "01x"] {
            #expect(throws: TokenizerError.self, "\(broken)") { try JSONValue.parse(Array(broken.utf8), source: "test") }
        }
    }
}

@Suite struct SpecialTokenMatcherTests {
    static func segments(_ text: String, _ tokens: [String]) -> [SpecialTokenMatcher.Segment] {
        let matcher = SpecialTokenMatcher(tokens: tokens.enumerated().map { (Array($0.element.utf8), $0.offset) })
        return Array(text.utf8).withUnsafeBufferPointer { matcher.segments(of: $0) }
    }

    @Test func longestTokenAtTheLeftmostPosition() {
        // tokens: 0 "<a>", 1 "<a><b>", 2 "\n", 3 "\n\n", 4 "<a>" again (id 0 wins)
        let tokens = ["<a>", "<a><b>", "\n", "\n\n", "<a>"]
        #expect(Self.segments("x<a><b>y\n\n\nz<a>", tokens) ==
            [.text(0..<1), .token(1), .text(7..<8), .token(3), .token(2), .text(11..<12), .token(0)])
        #expect(Self.segments("<a", tokens) == [.text(0..<2)])
        #expect(Self.segments("", tokens) == [])
    }
}

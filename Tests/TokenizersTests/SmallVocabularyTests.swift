import Foundation
import Testing
@testable import Tokenizers

/// Hand-checkable vocabularies for the paths the real models do not take: a Llama-2-style
/// tokenizer.json (Metaspace with prepend_scheme "first", byte fallback, fused UNK) and a
/// SentencePiece GGUF with and without the dummy space prefix.
@Suite struct SmallVocabularyTests {
    static let characterBPEJSON = #"""
    {"added_tokens": [
        {"id": 0, "content": "<unk>", "special": true},
        {"id": 1, "content": "<s>", "special": true},
        {"id": 2, "content": "</s>", "special": true}],
     "normalizer": null,
     "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false},
     "post_processor": {"type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]},
     "model": {"type": "BPE", "byte_fallback": true, "fuse_unk": true, "unk_token": "<unk>",
        "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0xC3>": 3, "<0xA9>": 4, "▁": 5, "a": 6, "b": 7,
                  "▁a": 8, "ab": 9, "▁ab": 10},
        "merges": ["▁ a", "a b", "▁a b"]}}
    """#

    @Test func characterBPEWithMetaspace() throws {
        let directory = try TemporaryDirectory()
        let url = try directory.write("tokenizer.json", Self.characterBPEJSON)
        let tokenizer = try Tokenizer(huggingFaceTokenizerJSON: url)
        #expect(tokenizer.vocabulary.model == .characterBPE && tokenizer.vocabulary.spacePrefix == .first)
        #expect(tokenizer.addsBOS && tokenizer.bosTokenId == 1)
        // "▁ab▁ab": "▁ a" merges first (leftmost), then "▁a b"; "a b" never gets the chance.
        #expect(tokenizer.encode("ab ab") == [1, 10, 10])
        // é is not a token: its two UTF-8 bytes fall back to <0xC3> <0xA9>.
        #expect(tokenizer.encode("é", addSpecialTokens: false) == [5, 3, 4])
        // Unknown characters without byte tokens fuse into one <unk>.
        #expect(tokenizer.encode("xy", addSpecialTokens: false) == [5, 0])
        // Only the text at the very start gets the "▁" prefix.
        #expect(tokenizer.encode("</s>ab") == [1, 2, 9])
        #expect(tokenizer.decode([1, 10, 10]) == "ab ab")
        #expect(tokenizer.decode([5, 3, 4]) == "é")
        // The prefix space is removed only at the very start of the output (as Hugging Face does).
        #expect(tokenizer.decode([1, 10, 2], skipSpecialTokens: false) == "<s> ab</s>")
        #expect(tokenizer.tokenType(3) == .byte && tokenizer.tokenType(0) == .control)
    }

    @Test func llama2StyleNormalizer() throws {
        let json = Self.characterBPEJSON
            .replacingOccurrences(of: #""normalizer": null"#, with: #""normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}"#)
            .replacingOccurrences(of: #"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}"#, with: "null")
        let directory = try TemporaryDirectory()
        let tokenizer = try Tokenizer(huggingFaceTokenizerJSON: try directory.write("tokenizer.json", json))
        #expect(tokenizer.vocabulary.spacePrefix == .always)
        // Prepend applies to every piece of text, also after a special token.
        #expect(tokenizer.encode("</s>ab") == [1, 2, 10])
    }

    @Test func unsupportedNormalizer() throws {
        let json = Self.characterBPEJSON.replacingOccurrences(of: #""normalizer": null"#, with: #""normalizer": {"type": "NFKC"}"#)
        let directory = try TemporaryDirectory()
        let url = try directory.write("tokenizer.json", json)
        #expect(throws: TokenizerError.unsupportedPreTokenizer(
            source: url.path, name: "normalizer NFKC", supported: TokenizerVocabulary.huggingFaceSupported)) {
            _ = try Tokenizer(huggingFaceTokenizerJSON: url)
        }
    }

    static func sentencePiece(spacePrefix: Bool?) -> [(String, GGUFWriter.Value)] {
        var entries: [(String, GGUFWriter.Value)] = [
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", .strings(["<unk>", "<s>", "</s>", "<0xC3>", "<0xA9>", "▁", "a", "b", "▁a", "ab", "▁ab"])),
            ("tokenizer.ggml.scores", .floats([0, 0, 0, 0, 0, -3, -4, -4, -1, -0.5, -2])),
            ("tokenizer.ggml.token_type", .int32s([2, 3, 3, 6, 6, 1, 1, 1, 1, 1, 1])),
        ]
        if let spacePrefix { entries.append(("tokenizer.ggml.add_space_prefix", .bool(spacePrefix))) }
        return entries
    }

    @Test func sentencePieceMergesByScore() throws {
        let directory = try TemporaryDirectory()
        let tokenizer = try Tokenizer(contentsOfGGUF: try directory.write("spm.gguf", GGUFWriter.file(Self.sentencePiece(spacePrefix: nil))))
        #expect(tokenizer.vocabulary.model == .sentencePiece && tokenizer.addsBOS)
        // "▁ab": "ab" (-0.5) beats "▁a" (-1), then "▁" + "ab" → "▁ab".
        #expect(tokenizer.encode("ab") == [1, 10])
        #expect(tokenizer.encode("é", addSpecialTokens: false) == [5, 3, 4])
        // No byte token for "x": <unk>.
        #expect(tokenizer.encode("x", addSpecialTokens: false) == [5, 0])
        #expect(tokenizer.decode([1, 10, 5, 3, 4]) == "ab é")

        let noPrefix = try Tokenizer(contentsOfGGUF: try directory.write("spm2.gguf", GGUFWriter.file(Self.sentencePiece(spacePrefix: false))))
        #expect(noPrefix.encode("ab") == [1, 9])
        #expect(noPrefix.encode("a a", addSpecialTokens: false) == [6, 8])
        #expect(noPrefix.encode("a b", addSpecialTokens: false) == [6, 5, 7])
        #expect(noPrefix.decode([6, 8]) == "a a")
    }
}

/// Which byte-level pre-tokenizer a tokenizer.json's normalizer and pre-tokenizer amount to.
@Suite struct HuggingFacePreTokenizerSelectionTests {
    static func tokenizer(normalizer: String = "null", preTokenizer: String) throws -> Tokenizer {
        let json = """
        {"normalizer": \(normalizer), "pre_tokenizer": \(preTokenizer),
         "model": {"type": "BPE", "vocab": {"e": 0, "\u{00C3}": 1, "\u{00A9}": 2, "\u{00C3}\u{00A9}": 3, "\u{00CC}": 4, "\u{0123}": 5, "1": 6, "2": 7, "\u{0120}": 8},
                   "merges": [["\u{00C3}", "\u{00A9}"]]}}
        """
        let directory = try TemporaryDirectory()
        return try Tokenizer(huggingFaceTokenizerJSON: try directory.write("tokenizer.json", json))
    }

    static let byteLevel = #"{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}"#
    static let byteLevelNoRegex = #"{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}"#

    @Test func selectsThePreTokenizer() throws {
        #expect(try Self.tokenizer(preTokenizer: Self.byteLevel).vocabulary.model == .byteLevelBPE(.gpt2))
        let llama3 = #"{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false}, "#
            + Self.byteLevelNoRegex + "]}"
        #expect(try Self.tokenizer(preTokenizer: llama3).vocabulary.model == .byteLevelBPE(.llama3))
        let qwen2 = llama3.replacingOccurrences(of: #"\\p{N}{1,3}"#, with: #"\\p{N}"#)
        #expect(try Self.tokenizer(preTokenizer: qwen2).vocabulary.model == .byteLevelBPE(.qwen2))
        let digits = #"{"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, "# + Self.byteLevel + "]}"
        #expect(try Self.tokenizer(preTokenizer: digits).vocabulary.model == .byteLevelBPE(.smollm))
        let prefixed = #"{"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}"#
        #expect(throws: TokenizerError.self) { try Self.tokenizer(preTokenizer: prefixed) }
    }

    @Test func nfcNormalizerComposesBeforeEncoding() throws {
        #expect(ByteLevelMapping.encode([0xCC, 0x81]) == "\u{00CC}\u{0123}")
        let nfc = try Self.tokenizer(normalizer: #"{"type": "NFC"}"#, preTokenizer: Self.byteLevel)
        // "e" + U+0301 composes to "é" (C3 A9), which merges to one token.
        #expect(nfc.encode("e\u{301}") == [3])
        let plain = try Self.tokenizer(preTokenizer: Self.byteLevel)
        #expect(plain.encode("e\u{301}") == [0, 4, 5])
        #expect(plain.decode([0, 4, 5]) == "e\u{301}")
    }
}

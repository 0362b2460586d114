import Foundation
import Testing
@testable import ModelFormats
@testable import Tokenizers

/// Every way a tokenizer file can be wrong ends in a `TokenizerError` that names the file and key.
@Suite struct GGUFTokenizerErrorTests {
    /// A tiny valid byte-level vocabulary: the four characters and one merge.
    static let tinyBPE: [(String, GGUFWriter.Value)] = [
        ("tokenizer.ggml.model", .string("gpt2")),
        ("tokenizer.ggml.pre", .string("gpt-2")),
        ("tokenizer.ggml.tokens", .strings(["a", "b", "ab", "Ġ", "<|end|>"])),
        ("tokenizer.ggml.token_type", .int32s([1, 1, 1, 1, 3])),
        ("tokenizer.ggml.merges", .strings(["a b"])),
        ("tokenizer.ggml.eos_token_id", .uint32(4)),
    ]

    static func replacing(_ key: String, with value: GGUFWriter.Value?) -> [(String, GGUFWriter.Value)] {
        var entries = tinyBPE.filter { $0.0 != key }
        if let value { entries.append((key, value)) }
        return entries
    }

    static func load(_ entries: [(String, GGUFWriter.Value)]) throws -> (Tokenizer, String) {
        let directory = try TemporaryDirectory()
        let url = try directory.write("tokenizer.gguf", GGUFWriter.file(entries))
        return (try Tokenizer(contentsOfGGUF: url), url.path)
    }

    static func error(_ entries: [(String, GGUFWriter.Value)]) throws -> (TokenizerError?, String) {
        let directory = try TemporaryDirectory()
        let url = try directory.write("tokenizer.gguf", GGUFWriter.file(entries))
        do {
            _ = try Tokenizer(contentsOfGGUF: url)
            return (nil, url.path)
        } catch let error as TokenizerError {
            return (error, url.path)
        }
    }

    @Test func tinyVocabularyWorks() throws {
        let (tokenizer, _) = try Self.load(Self.tinyBPE)
        #expect(tokenizer.encode("ab ab<|end|>") == [2, 3, 2, 4])
        #expect(tokenizer.encode("ba") == [1, 0])
        #expect(tokenizer.decode([2, 3, 2, 4], skipSpecialTokens: false) == "ab ab<|end|>")
        // A byte without a token (here "c") is dropped: there is no unknown token.
        #expect(tokenizer.encode("acb") == [0, 1])
    }

    @Test func missingTokensArray() throws {
        let (error, path) = try Self.error(Self.replacing("tokenizer.ggml.tokens", with: nil))
        #expect(error == .missingKey(source: path, key: "tokenizer.ggml.tokens"))
        #expect(error?.description.contains(path) == true)
        #expect(error?.description.contains("tokenizer.ggml.tokens") == true)
    }

    @Test func tokensOfTheWrongType() throws {
        let (error, path) = try Self.error(Self.replacing("tokenizer.ggml.tokens", with: .int32s([1, 2])))
        #expect(error == .invalidValue(source: path, key: "tokenizer.ggml.tokens", expected: "an array of strings", found: "array of int32"))
    }

    @Test func mergeWithUnknownToken() throws {
        let (error, path) = try Self.error(Self.replacing("tokenizer.ggml.merges", with: .strings(["a b", "a z"])))
        #expect(error == .mergeReferencesUnknownToken(source: path, index: 1, rule: "a z", token: "z"))
        let (resultError, resultErrorPath) = try Self.error(Self.replacing("tokenizer.ggml.merges", with: .strings(["b a"])))
        #expect(resultError == .mergeReferencesUnknownToken(source: resultErrorPath, index: 0, rule: "b a", token: "ba"))
        let (malformed, malformedPath) = try Self.error(Self.replacing("tokenizer.ggml.merges", with: .strings(["ab"])))
        #expect(malformed == .invalidValue(source: malformedPath, key: "tokenizer.ggml.merges[0]", expected: "\"left right\"", found: "\"ab\""))
    }

    @Test func unknownPreTokenizer() throws {
        let (error, path) = try Self.error(Self.replacing("tokenizer.ggml.pre", with: .string("falcon")))
        guard case let .unsupportedPreTokenizer(source, name, supported)? = error else {
            Issue.record("expected unsupportedPreTokenizer, got \(String(describing: error))")
            return
        }
        #expect(source == path && name == "falcon")
        #expect(supported.contains("llama-bpe") && supported.contains("qwen2") && supported.contains("smollm") && supported.contains("gpt-2"))
        #expect(error?.description.contains("falcon") == true)
        let (missing, missingPath) = try Self.error(Self.replacing("tokenizer.ggml.pre", with: nil))
        #expect(missing == .missingKey(source: missingPath, key: "tokenizer.ggml.pre"))
    }

    @Test func unknownModelType() throws {
        let (error, path) = try Self.error(Self.replacing("tokenizer.ggml.model", with: .string("bert")))
        #expect(error == .unsupportedModel(source: path, name: "bert", supported: ["gpt2", "llama"]))
        let (missing, missingPath) = try Self.error(Self.replacing("tokenizer.ggml.model", with: nil))
        #expect(missing == .missingKey(source: missingPath, key: "tokenizer.ggml.model"))
    }

    @Test func inconsistentPerTokenArrays() throws {
        let (short, path) = try Self.error(Self.replacing("tokenizer.ggml.token_type", with: .int32s([1, 1])))
        #expect(short == .lengthMismatch(source: path, key: "tokenizer.ggml.token_type", expected: 5, found: 2))
        let (badType, badTypePath) = try Self.error(Self.replacing("tokenizer.ggml.token_type", with: .int32s([1, 1, 1, 1, 9])))
        #expect(badType == .invalidValue(source: badTypePath, key: "tokenizer.ggml.token_type[4]", expected: "a token type 0...6", found: "9"))
        let (badEOS, badEOSPath) = try Self.error(Self.replacing("tokenizer.ggml.eos_token_id", with: .uint32(70000)))
        #expect(badEOS == .tokenIdOutOfRange(source: badEOSPath, key: "eos", id: 70000, vocabularySize: 5))
        let (empty, emptyPath) = try Self.error(Self.replacing("tokenizer.ggml.tokens", with: .strings([])))
        #expect(empty == .lengthMismatch(source: emptyPath, key: "tokenizer.ggml.token_type", expected: 0, found: 5))
    }

    @Test func sentencePieceScoresMustMatch() throws {
        let entries: [(String, GGUFWriter.Value)] = [
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", .strings(["<unk>", "<s>", "</s>", "▁a"])),
            ("tokenizer.ggml.scores", .floats([0, 0])),
        ]
        let (error, path) = try Self.error(entries)
        #expect(error == .lengthMismatch(source: path, key: "scores", expected: 4, found: 2))
    }

    @Test func notAGGUFFile() throws {
        let directory = try TemporaryDirectory()
        let url = try directory.write("tokenizer.gguf", "not a gguf file at all")
        #expect {
            _ = try Tokenizer(contentsOfGGUF: url)
        } throws: { error in
            guard case let .cannotRead(source, _)? = error as? TokenizerError else { return false }
            return source == url.path
        }
    }
}

@Suite struct HuggingFaceTokenizerErrorTests {
    static let tiny = #"""
    {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3}, "merges": ["a b"]},
     "added_tokens": [{"id": 4, "content": "<|end|>", "special": true}],
     "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}}
    """#

    static func error(_ json: String, config: String? = nil) throws -> (TokenizerError?, String) {
        let directory = try TemporaryDirectory()
        let url = try directory.write("tokenizer.json", json)
        if let config { _ = try directory.write("tokenizer_config.json", config) }
        do {
            _ = try Tokenizer(huggingFaceTokenizerJSON: url)
            return (nil, url.path)
        } catch let error as TokenizerError {
            return (error, url.path)
        }
    }

    @Test func tinyFileWorks() throws {
        let directory = try TemporaryDirectory()
        let url = try directory.write("tokenizer.json", Self.tiny)
        _ = try directory.write("tokenizer_config.json", #"{"add_bos_token": true, "bos_token": {"content": "<|end|>"}}"#)
        let tokenizer = try Tokenizer(huggingFaceDirectory: directory.url)
        #expect(tokenizer.addsBOS && tokenizer.bosTokenId == 4)
        #expect(tokenizer.encode("ab ab") == [4, 2, 3, 2])
        #expect(tokenizer.encode("ab ab", addSpecialTokens: false) == [2, 3, 2])
        #expect(tokenizer.tokenType(4) == .control)
        _ = url
    }

    @Test func malformedJSON() throws {
        for broken in [String(Self.tiny.dropLast(3)), Self.tiny + " x", #"{"model": {"type": "BPE", "vocab": {"a": 0,}}}"#, #"{"a": "\q"}"#, ""] {
            let (error, path) = try Self.error(broken)
            guard case let .malformedJSON(source, _, _)? = error else {
                Issue.record("expected malformedJSON for \(String(reflecting: broken)), got \(String(describing: error))")
                continue
            }
            #expect(source == path)
        }
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let (deepError, _) = try Self.error(deep)
        guard case .malformedJSON? = deepError else {
            Issue.record("expected malformedJSON for deep nesting, got \(String(describing: deepError))")
            return
        }
        let (config, _) = try Self.error(Self.tiny, config: "{\"add_bos_token\": tru}")
        guard case let .malformedJSON(configSource, _, _)? = config else {
            Issue.record("expected malformedJSON for tokenizer_config.json, got \(String(describing: config))")
            return
        }
        #expect(configSource.hasSuffix("tokenizer_config.json"))
    }

    @Test func unknownModelType() throws {
        let (error, path) = try Self.error(#"{"model": {"type": "WordPiece", "vocab": {"a": 0}}}"#)
        #expect(error == .unsupportedModel(source: path, name: "WordPiece", supported: ["BPE"]))
        let (missing, missingPath) = try Self.error(#"{"normalizer": null}"#)
        #expect(missing == .missingKey(source: missingPath, key: "model"))
    }

    @Test func mergeWithUnknownToken() throws {
        let (error, path) = try Self.error(Self.tiny.replacingOccurrences(of: #"["a b"]"#, with: #"[["a", "b"], ["a", "q"]]"#))
        #expect(error == .mergeReferencesUnknownToken(source: path, index: 1, rule: "a q", token: "q"))
    }

    @Test func unknownPreTokenizer() throws {
        let (error, path) = try Self.error(Self.tiny.replacingOccurrences(of: #""type": "ByteLevel""#, with: #""type": "Whitespace""#))
        guard case let .unsupportedPreTokenizer(source, name, _)? = error else {
            Issue.record("expected unsupportedPreTokenizer, got \(String(describing: error))")
            return
        }
        #expect(source == path && name == "Whitespace")
        let regex = #"{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated"}, {"type": "ByteLevel", "use_regex": false}]}"#
        let (regexError, regexErrorPath) = try Self.error(Self.tiny.replacingOccurrences(
            of: #"{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}"#, with: regex))
        #expect(regexError == .unsupportedPreTokenizer(
            source: regexErrorPath, name: #"Split regex \w+"#, supported: TokenizerVocabulary.huggingFaceSupported))
    }

    @Test func lyingOrHoleyIds() throws {
        let (huge, path) = try Self.error(Self.tiny.replacingOccurrences(of: #""ab": 2"#, with: #""ab": 2000000000"#))
        #expect(huge == .tokenIdOutOfRange(source: path, key: #"model.vocab["ab"]"#, id: 2_000_000_000, vocabularySize: 5))
        let (hole, holePath) = try Self.error(Self.tiny.replacingOccurrences(of: #""Ġ": 3"#, with: #""Ġ": 4"#))
        #expect(hole == .invalidVocabulary(source: holePath, reason: "no token has id 3 (ids must be 0..<5)"))
        let (twice, twicePath) = try Self.error(Self.tiny.replacingOccurrences(of: #""ab": 2"#, with: #""ab": 1"#))
        #expect(twice == .invalidVocabulary(source: twicePath, reason: "id 1 is used by two tokens in model.vocab"))
    }

    @Test func bosThatIsNotAToken() throws {
        let (error, path) = try Self.error(Self.tiny, config: #"{"add_bos_token": true, "bos_token": "<s>"}"#)
        #expect(error == .missingKey(source: path, key: "tokenizer_config.bos_token '<s>' in the vocabulary"))
        let (noBOS, noBOSPath) = try Self.error(Self.tiny, config: #"{"add_bos_token": true}"#)
        #expect(noBOS == .missingKey(source: noBOSPath, key: "BOS token id (the tokenizer adds BOS)"))
    }

    @Test func unreadableFile() throws {
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("missing.json")
        #expect {
            _ = try Tokenizer(huggingFaceTokenizerJSON: url)
        } throws: { error in
            guard case let .cannotRead(source, _)? = error as? TokenizerError else { return false }
            return source == url.path
        }
    }
}

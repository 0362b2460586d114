import Foundation
import Testing
import TestSupport
@testable import Tokenizers

/// Reading the reference fixtures of ../shared/reference/tokenizer. A missing file fails the
/// calling test (it is read with `#require`-style throwing, never skipped).
enum Fixtures {
    static var tokenizerDirectory: URL { SharedPaths.reference.appendingPathComponent("tokenizer") }

    struct FixtureMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "fixture missing: \(path) (see ../shared/README.md)" }
    }

    static func data(_ url: URL) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else { throw FixtureMissing(path: url.path) }
        return try Data(contentsOf: url)
    }

    /// The inputs and expected ids of llama.cpp's ggml-vocab-NAME.gguf.inp/.out: inputs are
    /// separated by "\n__ggml_vocab_test__\n" (the file ends with one), ids are one line each.
    static func ggmlVocabCases(_ name: String) throws -> [(text: String, ids: [Int])] {
        let base = tokenizerDirectory.appendingPathComponent("ggml-vocab-\(name).gguf")
        let input = [UInt8](try data(base.appendingPathExtension("inp")))
        let output = String(decoding: try data(base.appendingPathExtension("out")), as: UTF8.self)
        let separator = Array("\n__ggml_vocab_test__\n".utf8)
        var texts: [String] = []
        var start = 0
        var i = 0
        while i + separator.count <= input.count {
            if input[i..<i + separator.count].elementsEqual(separator) {
                texts.append(String(decoding: input[start..<i], as: UTF8.self))
                i += separator.count
                start = i
            } else {
                i += 1
            }
        }
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let ids = lines.map { $0.split(separator: " ").compactMap { Int($0) } }
        guard texts.count == ids.count else {
            throw FixtureMissing(path: "\(base.path).inp/.out disagree: \(texts.count) inputs, \(ids.count) outputs")
        }
        return Array(zip(texts, ids))
    }

    struct TokenizationCase: Decodable {
        let text: String
        let ids: [Int]
        let ids_with_special: [Int]
    }

    /// The 463 strings of `<model>/tokenization.json`.
    static func tokenizationCases(_ model: String) throws -> [TokenizationCase] {
        struct File: Decodable { let cases: [TokenizationCase] }
        let url = tokenizerDirectory.appendingPathComponent(model).appendingPathComponent("tokenization.json")
        return try JSONDecoder().decode(File.self, from: data(url)).cases
    }

    struct ReferencePrompt: Decodable {
        let text: String
        let token_ids: [Int]
    }

    /// The prompts of `reference/<model>/reference.json` with their token ids (BOS included).
    static func referencePrompts(_ model: String) throws -> [ReferencePrompt] {
        struct File: Decodable { let prompts: [ReferencePrompt] }
        let url = SharedPaths.reference.appendingPathComponent(model).appendingPathComponent("reference.json")
        return try JSONDecoder().decode(File.self, from: data(url)).prompts
    }

    struct PromptCase: Decodable {
        let prompt: String
        let target: String
        let first_target_token: [String: Int]
    }

    /// The 114 prompts of `reference/prompts.json` with each model's first target token.
    static func promptCases() throws -> [PromptCase] {
        struct File: Decodable { let cases: [PromptCase] }
        return try JSONDecoder().decode(File.self, from: data(SharedPaths.reference.appendingPathComponent("prompts.json"))).cases
    }

    static func ggmlVocabTokenizer(_ name: String) throws -> Tokenizer {
        let url = tokenizerDirectory.appendingPathComponent("ggml-vocab-\(name).gguf")
        guard FileManager.default.fileExists(atPath: url.path) else { throw FixtureMissing(path: url.path) }
        return try TokenizerCache.shared.tokenizer(for: url) { try Tokenizer(contentsOfGGUF: url) }
    }

    static func modelTokenizer(_ url: URL) throws -> Tokenizer {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw FixtureMissing(path: "\(url.path) (models/ must link the GGUF files)")
        }
        return try TokenizerCache.shared.tokenizer(for: url) { try Tokenizer(contentsOfGGUF: url) }
    }

    /// The first mismatching case as a readable message, or nil when all match.
    static func firstMismatch(
        _ cases: [(text: String, ids: [Int])], _ encode: (String) -> [Int]
    ) -> String? {
        var failures = 0
        var first: String?
        for item in cases {
            let got = encode(item.text)
            if got != item.ids {
                failures += 1
                if first == nil { first = "text \(String(reflecting: item.text)): expected \(item.ids), got \(got)" }
            }
        }
        return first.map { "\(failures)/\(cases.count) mismatches; first: \($0)" }
    }
}

/// Tokenizers loaded once per test process (several suites use the same large vocabularies;
/// a `Tokenizer` is an immutable value, so sharing it between tests is safe).
final class TokenizerCache: @unchecked Sendable {
    static let shared = TokenizerCache()
    private let lock = NSLock()
    private var loaded: [URL: Tokenizer] = [:]

    func tokenizer(for url: URL, load: () throws -> Tokenizer) throws -> Tokenizer {
        lock.lock()
        defer { lock.unlock() }
        if let cached = loaded[url] { return cached }
        let tokenizer = try load()
        loaded[url] = tokenizer
        return tokenizer
    }
}

import Foundation
import Testing
import TestSupport
@testable import Tokenizers

/// tokenizer.json (as Hugging Face exports it from each GGUF) against tokenization.json.
@Suite struct HuggingFaceTokenizerTests {
    static let folders = ["smollm2-135m-instruct-q4_1", "gemma3-270m-q4_k_m"]

    static func tokenizer(_ folder: String) throws -> Tokenizer {
        let url = Fixtures.tokenizerDirectory.appendingPathComponent(folder).appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: url.path) else { throw Fixtures.FixtureMissing(path: url.path) }
        return try TokenizerCache.shared.tokenizer(for: url) { try Tokenizer(huggingFaceTokenizerJSON: url) }
    }

    @Test(arguments: folders)
    func reproducesTokenizationJSON(folder: String) throws {
        let tokenizer = try Self.tokenizer(folder)
        let cases = try Fixtures.tokenizationCases(folder)
        #expect(cases.count == 463)
        let plain = Fixtures.firstMismatch(cases.map { ($0.text, $0.ids) }) { tokenizer.encode($0, addSpecialTokens: false) }
        #expect(plain == nil, "\(folder) without special tokens: \(plain ?? "")")
        let special = Fixtures.firstMismatch(cases.map { ($0.text, $0.ids_with_special) }) { tokenizer.encode($0) }
        #expect(special == nil, "\(folder) with special tokens: \(special ?? "")")
        for item in cases {
            let decoded = tokenizer.decode(tokenizer.encode(item.text, addSpecialTokens: false))
            #expect(Array(decoded.utf8) == Array(item.text.utf8), "\(folder): \(String(reflecting: item.text))")
        }
    }

    @Test func readsTheModelSettings() throws {
        let smol = try Self.tokenizer("smollm2-135m-instruct-q4_1")
        #expect(smol.vocabulary.model == .byteLevelBPE(.gpt2))
        #expect(smol.vocabularySize == 49152 && smol.bosTokenId == 1 && smol.eosTokenId == 2 && !smol.addsBOS)
        #expect(smol.tokenType(1) == .control)

        let gemma = try Self.tokenizer("gemma3-270m-q4_k_m")
        #expect(gemma.vocabulary.model == .characterBPE)
        #expect(gemma.vocabularySize == 262144 && gemma.bosTokenId == 2 && gemma.eosTokenId == 1 && gemma.addsBOS)
        #expect(gemma.vocabulary.byteFallback && gemma.vocabulary.spacePrefix == .never)
        #expect(gemma.tokenType(107) == .userDefined)
        #expect(gemma.tokenType(Int(gemma.byteTokens[0xF0])) == .byte)
    }
}

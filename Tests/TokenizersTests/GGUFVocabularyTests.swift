import Foundation
import Testing
import TestSupport
@testable import Tokenizers

/// llama.cpp's tokenizer test vectors (test-tokenizer-0): encoded without BOS and without
/// parsing special tokens, which none of the inputs contain.
@Suite struct GGMLVocabTests {
    @Test(arguments: ["gpt-2", "llama-bpe", "qwen2", "llama-spm"])
    func reproducesLlamaCppVectors(name: String) throws {
        let tokenizer = try Fixtures.ggmlVocabTokenizer(name)
        let cases = try Fixtures.ggmlVocabCases(name)
        #expect(cases.count == 46)
        let mismatch = Fixtures.firstMismatch(cases) { tokenizer.encode($0, addSpecialTokens: false) }
        #expect(mismatch == nil, "\(name): \(mismatch ?? "")")
    }

    @Test(arguments: ["gpt-2", "llama-bpe", "qwen2", "llama-spm"])
    func decodingInvertsEncoding(name: String) throws {
        let tokenizer = try Fixtures.ggmlVocabTokenizer(name)
        for item in try Fixtures.ggmlVocabCases(name) {
            let decoded = tokenizer.decode(tokenizer.encode(item.text, addSpecialTokens: false))
            #expect(Array(decoded.utf8) == Array(item.text.utf8), "\(name): \(String(reflecting: item.text))")
        }
    }

    @Test func vocabularyFlagsFollowTheFiles() throws {
        let spm = try Fixtures.ggmlVocabTokenizer("llama-spm")
        #expect(spm.vocabularySize == 32000)
        #expect(spm.bosTokenId == 1 && spm.eosTokenId == 2 && spm.addsBOS)
        #expect(spm.encode("Hello world") == [1, 15043, 3186])
        #expect(spm.tokenString(15043) == "▁Hello")
        #expect(spm.id(of: "▁Hello") == 15043)
        #expect(spm.id(of: "no such token here") == nil)
        #expect(spm.tokenString(-1) == nil && spm.tokenString(32000) == nil)

        let llama3 = try Fixtures.ggmlVocabTokenizer("llama-bpe")
        #expect(llama3.bosTokenId == 128000 && llama3.addsBOS)
        #expect(llama3.encode("Hello world") == [128000, 9906, 1917])
        #expect(llama3.tokenString(1917) == "Ġworld")
        #expect(llama3.id(of: "Ġworld") == 1917)
        // A control token written in the text is one token.
        #expect(llama3.encode("<|begin_of_text|>Hello", addSpecialTokens: false) == [128000, 9906])
        #expect(llama3.decode([128000, 9906], skipSpecialTokens: false) == "<|begin_of_text|>Hello")
        #expect(llama3.decode([128000, 9906]) == "Hello")
    }
}

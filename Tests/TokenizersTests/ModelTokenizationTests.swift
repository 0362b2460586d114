import Foundation
import Testing
import TestSupport
@testable import Tokenizers

/// The real models' tokenizers (read from their GGUF files) against the ids Hugging Face
/// transformers computed: the 463 strings of tokenization.json and the prompts of reference.json.
@Suite struct ModelTokenizationTests {
    static let models: [(folder: String, gguf: URL)] = [
        ("smollm2-135m-instruct-q4_1", SharedPaths.smolLM2),
        ("gemma3-270m-q4_k_m", SharedPaths.gemma3),
    ]

    @Test(arguments: [0, 1])
    func reproducesTokenizationJSON(model: Int) throws {
        let (folder, url) = Self.models[model]
        let tokenizer = try Fixtures.modelTokenizer(url)
        let cases = try Fixtures.tokenizationCases(folder)
        #expect(cases.count == 463)
        let plain = Fixtures.firstMismatch(cases.map { ($0.text, $0.ids) }) {
            tokenizer.encode($0, addSpecialTokens: false)
        }
        #expect(plain == nil, "\(folder) without special tokens: \(plain ?? "")")
        let special = Fixtures.firstMismatch(cases.map { ($0.text, $0.ids_with_special) }) {
            tokenizer.encode($0, addSpecialTokens: true)
        }
        #expect(special == nil, "\(folder) with special tokens: \(special ?? "")")
        for item in cases {
            let decoded = tokenizer.decode(tokenizer.encode(item.text, addSpecialTokens: false))
            #expect(Array(decoded.utf8) == Array(item.text.utf8), "\(folder): \(String(reflecting: item.text))")
        }
    }

    @Test(arguments: [0, 1])
    func reproducesReferencePromptIds(model: Int) throws {
        let (folder, url) = Self.models[model]
        let tokenizer = try Fixtures.modelTokenizer(url)
        let prompts = try Fixtures.referencePrompts(folder)
        #expect(prompts.count == 14)
        for prompt in prompts {
            #expect(tokenizer.encode(prompt.text) == prompt.token_ids, "\(folder): \(String(reflecting: prompt.text))")
        }
    }

    @Test func specialTokensOfTheModels() throws {
        let smol = try Fixtures.modelTokenizer(SharedPaths.smolLM2)
        #expect(smol.vocabularySize == 49152)
        #expect(smol.bosTokenId == 1 && smol.eosTokenId == 2 && !smol.addsBOS)
        #expect(smol.tokenString(1) == "<|im_start|>")
        // The chat markers written in the text are single tokens.
        let chat = smol.encode("<|im_start|>user\nHi<|im_end|>")
        #expect(chat.first == 1 && chat.last == 2)
        #expect(chat == [1] + smol.encode("user\nHi") + [2])
        #expect(smol.decode(chat) == "user\nHi")
        #expect(smol.decode(chat, skipSpecialTokens: false) == "<|im_start|>user\nHi<|im_end|>")

        let gemma = try Fixtures.modelTokenizer(SharedPaths.gemma3)
        #expect(gemma.vocabularySize == 262144)
        #expect(gemma.bosTokenId == 2 && gemma.eosTokenId == 1 && gemma.addsBOS)
        #expect(gemma.encode("") == [2])
        #expect(gemma.encode("", addSpecialTokens: false) == [])
        #expect(gemma.decode([2, 9259, 1]) == gemma.decode([9259]))
    }
}

/// DESIGN.md's target token: the first token of tokenize(prompt + target) after the tokens of
/// tokenize(prompt), for the 114 prompts of prompts.json (0-shot and k-shot), from both the
/// GGUF and the tokenizer.json of each model.
@Suite struct FirstTargetTokenTests {
    @Test(arguments: [0, 1])
    func matchesPromptsJSON(model: Int) throws {
        let (folder, url) = ModelTokenizationTests.models[model]
        let fromGGUF = try Fixtures.modelTokenizer(url)
        let fromJSON = try HuggingFaceTokenizerTests.tokenizer(folder)
        let cases = try Fixtures.promptCases()
        #expect(cases.count == 114)
        for (name, tokenizer) in [("gguf", fromGGUF), ("tokenizer.json", fromJSON)] {
            var mismatches: [String] = []
            for item in cases {
                let expected = try #require(item.first_target_token[folder], "no first_target_token for \(folder)")
                let promptIds = tokenizer.encode(item.prompt)
                let fullIds = tokenizer.encode(item.prompt + item.target)
                let found = fullIds.count > promptIds.count ? fullIds[promptIds.count] : -1
                if found != expected { mismatches.append("\(String(reflecting: item.target)): expected \(expected), got \(found)") }
            }
            #expect(mismatches.isEmpty, "\(folder) \(name): \(mismatches.count) mismatches, first \(mismatches.first ?? "")")
        }
    }
}

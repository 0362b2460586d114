import Foundation
import Testing
import Models
import Tokenizers
import TestSupport

@Suite(.serialized) struct GenerationTests {
    static let model = Result { try LanguageModel.load(.ggufFile(SharedPaths.smolLM2), name: "smollm2-135m") }

    /// The acceptance check: " Paris" is the most likely continuation.
    @Test func parisIsTheTopNextToken() throws {
        let lm = try Self.model.get()
        let logits = lm.decoder.forward([lm.encode("The capital of France is")], caches: [lm.decoder.makeCache()]).logits!.value.scalars
        let top = logits.indices.max { logits[$0] < logits[$1] }!
        #expect(lm.tokenizer.decode([top]) == " Paris")
    }

    @Test func tokenLimitAndStopStringsEndEachSequenceOnItsOwn() throws {
        let lm = try Self.model.get()
        let prompts = ["The capital of France is", "Q: hot\nA: cold\n\nQ: big\nA:"].map(lm.encode)
        let limited = lm.generate(prompts, options: GenerationOptions(maxNewTokens: 3, suppressEndOfSequenceAtFirstStep: false))
        #expect(limited.map(\.tokens.count) == [3, 3])
        #expect(limited.allSatisfy { $0.stop == .maxTokens })
        let stopped = lm.generate(prompts, options: GenerationOptions(maxNewTokens: 20, stopStrings: ["\n"]))
        // At least one sequence must stop at "\n", or the loop below checks nothing.
        #expect(stopped.contains { $0.stop == .stopString }, "stops: \(stopped.map(\.stop))")
        for g in stopped where g.stop == .stopString { #expect(g.text.contains("\n")) }
        #expect(stopped[0].text.hasPrefix(" Paris"))
        #expect(stopped[1].text.hasPrefix(" small"))
        // Each sequence's continuation equals generating it alone.
        for (i, prompt) in prompts.enumerated() {
            let alone = lm.generate([prompt], options: GenerationOptions(maxNewTokens: 20, stopStrings: ["\n"]))[0]
            #expect(alone == stopped[i])
        }
    }
}

import Foundation
import Models
import Tasks
import Testing
@testable import Methods

/// The tiny model and synthetic tasks the method tests use are what they say they are.
@Suite struct TinyModelTests {
    @Test func tokenizerRoundTripsPromptsWithinTheModelsIds() throws {
        let model = try TinyLlama.model
        #expect(model.tokenizer.vocabularySize == model.decoder.configuration.vocabularySize)
        let text = "Q: abc\nA: cba\n\nQ: fed\nA:"
        let ids = model.encode(text)
        #expect(ids.first == 1 && ids.allSatisfy { (0..<384).contains($0) })
        #expect(model.tokenizer.decode(ids, skipSpecialTokens: true) == text)
        // Merges apply: " cba" starts with the " c" token, and "\n\n" is one token.
        #expect(ids.count < text.utf8.count)
    }

    @Test func syntheticTasksAreSeededAndDisjoint() throws {
        let a = SyntheticTasks.splits(SyntheticTasks.reverse), b = SyntheticTasks.splits(SyntheticTasks.reverse)
        #expect(a == b && a.counts == [60, 20, 20])
        #expect(Set(a.train.map(\.input)).isDisjoint(with: a.test.map(\.input)))
        #expect(a.train[0].output.text == String(a.train[0].input.reversed()))
        #expect(SyntheticTasks.splits(SyntheticTasks.upper).test[0].output.text == SyntheticTasks.splits(SyntheticTasks.upper).test[0].input.uppercased())
        let data = try SyntheticTasks.data.get()
        #expect(try SyntheticTasks.first.loadSplits(from: data) == SyntheticTasks.splits(SyntheticTasks.first))
    }

    /// The sharpened final norm spreads the next-token distribution (the checkpoint's is nearly uniform).
    @Test func logitsArePeaked() throws {
        let model = try TinyLlama.model
        let logits = model.decoder.forward([model.encode("Q: abc\nA:")], caches: [model.decoder.makeCache()]).logits!.value.scalars
        let maximum = logits.max()!, sum = logits.reduce(0) { $0 + exp($1 - maximum) }
        #expect(1 / sum > 0.05, "top probability \(1 / sum)")
    }
}

// Shape legend: L layers, D model dim, V vocab.
import Foundation
import Testing
@testable import Methods
import Models
import Tasks
import Tensors
import TestSupport

@Suite(.serialized) struct TaskVectorTests {
    /// Prepare end to end with few prompts: per-layer means, valid accuracy per layer (on items
    /// made so that one layer answers half), the chosen layer as the first argmax, every layer's
    /// accuracy checked by whole-prompt forwards, the intervention, and the same result for the
    /// same seed.
    @Test func endToEndWithFewPrompts() throws {
        let f = try FVTVFixture.load()
        let c = f.model.decoder.configuration
        let last = c.layerCount - 1
        // Valid items half of which the last layer's vector answers: replacing the last layer's
        // output fixes the prediction whatever the prompt, so items 0 and 1 get outputs that start
        // with the word it predicts, and 2 and 3 keep outputs that do not.
        var valid = Array(f.splits.valid.prefix(4))
        let fixedLast = try TaskVectorMethod(prompts: 3, shots: 3, layer: last).prepareTaskVector(f.context(valid: valid), cache: nil)
        let zeroShot = try f.context().sampler.prompts(for: valid, split: .valid, shots: 0, seed: 7)
        let lastLogits = f.fullForwardLogits(f.model.encode(zeroShot[0].text), interventions: [Intervention(
            .residual(layer: last), .replace(Variable(constant: Tensor(shape: [1, c.hiddenSize], scalars: fixedLast.vector.scalars))))])
        let predicted = try #require(lastLogits.indices.max { lastLogits[$0] < lastLogits[$1] })
        let word = f.model.tokenizer.decode([predicted]).trimmingCharacters(in: .whitespaces)
        try #require(!word.isEmpty && word.allSatisfy(\.isLetter), "the last layer's vector predicts a word token, not '\(word)'")
        valid[0].output = .text(word + "ab")
        valid[1].output = .text(word + "cd")
        try #require(valid[2...].allSatisfy { !$0.output.text.hasPrefix(word) })

        let method = TaskVectorMethod(prompts: 3, shots: 3, validItems: 4, rowsPerCall: 4)
        let prepared = try method.prepareTaskVector(f.context(valid: valid), cache: nil)
        #expect(prepared.means.shape == [c.layerCount, c.hiddenSize])
        #expect(prepared.means.row(last) == fixedLast.vector.scalars, "the means do not depend on the valid split")
        #expect(prepared.validAccuracy.shape == [c.layerCount])
        let accuracy = prepared.validAccuracy.scalars
        #expect(accuracy[last] == 0.5)
        let best = accuracy.max()!
        #expect(prepared.layer == accuracy.firstIndex(of: best)!)
        #expect(prepared.means.scalars.allSatisfy { $0.isFinite })

        // Every layer's accuracy, again by whole 0-shot prompts with the residual replaced.
        let prompts = try f.context().sampler.prompts(for: valid, split: .valid, shots: 0, seed: 7)
        for layer in 0..<c.layerCount {
            var correct = 0
            for prompt in prompts {
                let tokens = f.model.encode(prompt.text)
                let logits = f.fullForwardLogits(tokens, interventions: [Intervention(
                    .residual(layer: layer), .replace(Variable(constant: Tensor(shape: [1, c.hiddenSize], scalars: prepared.means.row(layer)))))])
                if AnswerScorer.isFirstTokenMatch(logits: logits, targetToken: try prompt.targetToken(tokenize: f.model.encode)) { correct += 1 }
            }
            #expect(Float(correct) / 4 == accuracy[layer], "layer \(layer)")
        }

        // The intervention replaces the residual stream after the chosen layer by the vector.
        #expect(prepared.vector.scalars == prepared.means.row(prepared.layer))
        let interventions = prepared.interventions(batchSize: 2)
        #expect(interventions.count == 1 && interventions[0].site == .residual(layer: prepared.layer))
        guard case .replace(let value) = interventions[0].action else {
            Issue.record("expected a .replace intervention, got \(interventions[0].action)")
            return
        }
        #expect(value.shape == [2, c.hiddenSize] && value.value.row(1) == prepared.vector.scalars)

        let again = try method.prepareTaskVector(f.context(valid: valid), cache: nil)
        #expect(again.means == prepared.means && again.validAccuracy == prepared.validAccuracy && again.layer == prepared.layer)
    }

    /// The per-layer means are the mean residual stream after each layer at the last token.
    @Test func meansAreLastTokenResidualMeans() throws {
        let f = try FVTVFixture.load()
        let c = f.model.decoder.configuration
        let prepared = try TaskVectorMethod(prompts: 2, shots: 2, layer: 1).prepareTaskVector(f.context(), cache: nil)
        #expect(prepared.layer == 1 && prepared.validAccuracy.scalars.allSatisfy { $0.isNaN })
        // Rebuild the two prompts the way `prepare` draws them and average by hand.
        let context = f.context()
        let seed = SplitMix64.mix([context.seed, SplitMix64.stableHash("task-vectors")])
        var generator = Xoshiro256StarStar(seed: seed)
        let prompts = try generator.sampleWithoutReplacement(2, from: f.splits.train.count).map {
            try context.sampler.prompt(forItem: $0, of: f.splits.train, split: .train, shots: 2, seed: seed)
        }
        var sum = [Float](repeating: 0, count: c.hiddenSize)
        for prompt in prompts {
            let output = f.model.decoder.forward([f.model.encode(prompt.text)], caches: [f.model.decoder.makeCache()],
                                                 interventions: [Intervention(.residual(layer: 1), .capture)], logits: .none)
            for (d, x) in output.captures[.residual(layer: 1)]!.scalars.enumerated() { sum[d] += x / 2 }
        }
        #expect(relativeError(prepared.vector.scalars, sum) < 1e-5)
    }

    @Test func emptyValidSplitThrowsWhenTheLayerIsChosen() throws {
        let f = try FVTVFixture.load()
        #expect(throws: MethodError.notEnoughItems(method: "task-vectors", task: "reverse", split: "valid",
                                                   purpose: "choosing the layer", needed: 1, available: 0)) {
            try TaskVectorMethod(prompts: 1, shots: 1).prepare(f.context(valid: []), cache: nil)
        }
        let context = MethodContext(model: f.model, task: f.task, train: Array(f.splits.train.prefix(3)), valid: [], seed: 1)
        #expect(throws: MethodError.notEnoughItems(method: "task-vectors", task: "reverse", split: "train",
                                                   purpose: "4 prompts of distinct queries", needed: 4, available: 3)) {
            try TaskVectorMethod(prompts: 4, shots: 1).prepare(context, cache: nil)
        }
    }

    /// Saved, reused for the same settings and seed; an artifact of other shapes under the same
    /// settings is an error (it is not this model's), not silently recomputed.
    @Test func artifactIsSavedAndReused() throws {
        let f = try FVTVFixture.load()
        let folder = try FVTVFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = ArtifactCache(root: folder)
        let method = TaskVectorMethod(prompts: 2, shots: 2, validItems: 2)
        let prepared = try method.prepareTaskVector(f.context(), cache: cache)
        let reused = try method.prepareTaskVector(f.context(), cache: cache)
        #expect(reused.preparation.fromCache && reused.means == prepared.means && reused.layer == prepared.layer
                && reused.validAccuracy == prepared.validAccuracy)
        try cache.save(model: f.model.name, method: method.name, task: f.task.name,
                       settings: method.artifactSettings(f.context()),
                       artifact: ArtifactCache.Artifact(tensors: ["residual_means": Tensor(shape: [2, 2])], facts: ["layer": "1"]))
        let c = f.model.decoder.configuration
        let path = cache.folder(model: f.model.name, method: method.name, task: f.task.name, settings: method.artifactSettings(f.context())).path
        #expect(throws: MethodError.artifactShape(method: "task-vectors", path: path, tensor: "residual_means",
                                                  expected: [c.layerCount, c.hiddenSize], found: [2, 2])) {
            try method.prepareTaskVector(f.context(), cache: cache)
        }
    }

    @Test func settingsNameEveryChoice() {
        #expect(TaskVectorMethod().settings.values == ["prompts": "50", "shots": "10", "valid_items": "50", "layer": "best-valid"])
        #expect(TaskVectorMethod(layer: 3).settings["layer"] == "3")
    }
}

@Test func bestLayerPrefersTheEarlierLayerOnTies() {
    #expect(TaskVectorMethod.bestLayer([0.1, 0.5, 0.2, 0.5]) == 1)
    #expect(TaskVectorMethod.bestLayer([0, 0, 0]) == 0)
    #expect(TaskVectorMethod.bestLayer([0.25]) == 0)
}

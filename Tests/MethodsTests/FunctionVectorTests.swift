// Shape legend: L layers, H heads, Dh head dim, D model dim, V vocab.
import Foundation
import Testing
@testable import Methods
import Models
import Tasks
import Tensors
import TestSupport

/// The tiny model and a synthetic task (words reversed), for the function-vector, task-vector
/// and method-error tests.
struct FVTVFixture {
    let model: LanguageModel
    let task: TextTask
    let splits: TaskSplits

    static let shared: Result<FVTVFixture, Error> = Result {
        FVTVFixture(model: try TinyLlama.model, task: SyntheticTasks.reverse, splits: SyntheticTasks.splits(SyntheticTasks.reverse))
    }

    static func load() throws -> FVTVFixture { try shared.get() }

    func context(seed: UInt64 = 7, valid: [TaskItem]? = nil) -> MethodContext {
        MethodContext(model: model, task: task, train: splits.train, valid: valid ?? splits.valid, seed: seed)
    }

    /// The logits (V) of a whole prompt run from scratch, at its last token.
    func fullForwardLogits(_ tokens: [Int], interventions: [Intervention] = []) -> [Float] {
        model.decoder.forward([tokens], caches: [model.decoder.makeCache()], interventions: interventions).logits!.value.scalars
    }

    /// A fresh temporary folder.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fvtv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// softmax(logits)[index] in Double, written out here independently of the library.
func referenceProbability(_ logits: [Float], _ index: Int) -> Double {
    let maximum = Double(logits.max()!)
    let sum = logits.reduce(0.0) { $0 + Foundation.exp(Double($1) - maximum) }
    return Foundation.exp(Double(logits[index]) - maximum) / sum
}

@Suite(.serialized) struct FunctionVectorTests {
    /// The batched last-token CIE of a head equals, per prompt, a whole-prompt forward with that
    /// head replaced at the last position minus the unpatched one, averaged.
    @Test func callsHoldNoMoreCacheCopiesThanTheBudget() {
        // 25 prompts, 128 rows: 5 runs of the prompts per call unless their tokens exceed the budget.
        #expect(CausalIndirectEffect.callSize(rowsPerCall: 128, prompts: 25, prefilledTokens: 5_000, cachedTokenBudget: 100_000) == 125)
        #expect(CausalIndirectEffect.callSize(rowsPerCall: 128, prompts: 25, prefilledTokens: 17_200, cachedTokenBudget: 100_000) == 125)
        #expect(CausalIndirectEffect.callSize(rowsPerCall: 128, prompts: 25, prefilledTokens: 30_000, cachedTokenBudget: 100_000) == 75)
        #expect(CausalIndirectEffect.callSize(rowsPerCall: 128, prompts: 25, prefilledTokens: 53_000, cachedTokenBudget: 100_000) == 25)
        #expect(CausalIndirectEffect.callSize(rowsPerCall: 128, prompts: 25, prefilledTokens: 400_000, cachedTokenBudget: 100_000) == 25)
        // A backend that keeps no caches (0 prefilled tokens) and calls below one run are as asked.
        #expect(CausalIndirectEffect.callSize(rowsPerCall: 128, prompts: 25, prefilledTokens: 0, cachedTokenBudget: 100_000) == 125)
        #expect(CausalIndirectEffect.callSize(rowsPerCall: 10, prompts: 25, prefilledTokens: 53_000, cachedTokenBudget: 100_000) == 10)
    }

    @Test func batchedEffectMatchesDirectPatchedForwards() throws {
        let f = try FVTVFixture.load()
        let c = f.model.decoder.configuration
        let sampler = f.context().sampler
        let clean = try (0..<2).map { try sampler.prompt(forItem: $0, of: f.splits.train, split: .train, shots: 3, seed: 1) }
        let corrupted = try (3..<5).map {
            try sampler.prompt(forItem: $0, of: f.splits.train, split: .train, shots: 3, seed: 1, shuffledLabels: true)
        }
        let sites = (0..<c.layerCount).map { InterventionSite.attentionHeads(layer: $0) }
        let captured = LastTokenMeans.compute(model: f.model, prompts: clean.map { f.model.encode($0.text) }, sites: sites)
        let means = Tensor(shape: [c.layerCount, c.attentionWidth], scalars: sites.flatMap { captured.means[$0]!.scalars })
        let prompts = try LastTokenPrompts(model: f.model, textPrompts: corrupted)
        let backend = NativeBackend(model: f.model)
        let batch = try backend.lastTokenBatch(corrupted.map { f.model.encode($0.text) }, targets: prompts.targets)
        // Four rows per call over 3 heads × 2 prompts: the first call mixes layers and runs each
        // prompt twice (from its own cache and from a copy).
        let heads = [AttentionHead(layer: 1, head: 3), AttentionHead(layer: 2, head: 0), AttentionHead(layer: 1, head: 1)]
        let batched = try CausalIndirectEffect.compute(
            heads, batch: batch, targets: prompts.targets, meanHeadOutputs: means, shape: backend.shape, rowsPerCall: 4)
        // One row per call: the same effects up to rounding (BLAS may take another path for one row).
        let single = try CausalIndirectEffect.compute(
            heads, batch: batch, targets: prompts.targets, meanHeadOutputs: means, shape: backend.shape, rowsPerCall: 1).effects
        #expect(zip(single, batched.effects).allSatisfy { abs($0 - $1) < 1e-6 }, "\(single) vs \(batched.effects)")
        #expect(batched.tokens == 2 + 6)
        // A cache budget of one run of the prompts: calls of 2 rows, the same effects.
        let bounded = try CausalIndirectEffect.compute(
            heads, batch: batch, targets: prompts.targets, meanHeadOutputs: means, shape: backend.shape, rowsPerCall: 4,
            cachedTokenBudget: batch.prefilledTokens).effects
        #expect(zip(single, bounded).allSatisfy { abs($0 - $1) < 1e-6 }, "\(single) vs \(bounded)")

        let dh = c.headDimensions
        let tokens = corrupted.map { f.model.encode($0.text) }
        let unpatched = tokens.indices.map { referenceProbability(f.fullForwardLogits(tokens[$0]), prompts.targets[$0]) }
        for (k, head) in heads.enumerated() {
            var direct = 0.0
            for p in tokens.indices {
                let start = head.layer * c.attentionWidth + head.head * dh
                let value = Tensor(shape: [1, dh], scalars: Array(means.scalars[start..<(start + dh)]))
                let patched = f.fullForwardLogits(tokens[p], interventions: [
                    Intervention(.attentionHeads(layer: head.layer), .replaceHead(heads: [head.head], value: Variable(constant: value)))])
                direct += referenceProbability(patched, prompts.targets[p]) - unpatched[p]
            }
            direct /= Double(tokens.count)
            #expect(abs(Double(batched.effects[k]) - direct) < 1e-5, "head \(head): batched \(batched.effects[k]), direct \(direct)")
        }
        // Not all zero: the comparison above says something.
        #expect(batched.effects.contains { abs($0) > 1e-6 })
    }

    /// Prepare end to end with few prompts: the table, the chosen heads, the vector, the
    /// intervention, the same vector for the same seed and another for another seed, fixed heads.
    @Test func endToEndWithFewPrompts() throws {
        let f = try FVTVFixture.load()
        let c = f.model.decoder.configuration
        let method = FunctionVectorMethod(cleanPrompts: 3, shots: 3, corruptedPrompts: 1, topHeads: 4, rowsPerCall: 90)

        let first = try method.prepareFunctionVector(f.context(), cache: nil)
        #expect(first.layer == c.layerCount / 3)
        // At least the clean prompts, whole, and one last-token run per head and corrupted prompt.
        let cleanTokens = try method.sampleCleanPrompts(f.context()).reduce(0) { $0 + f.model.encode($1.text).count }
        #expect(!first.preparation.fromCache && first.preparation.tokensProcessed >= cleanTokens + c.layerCount * c.attentionHeads)
        let effects = try #require(first.causalIndirectEffects)
        #expect(effects.shape == [c.layerCount, c.attentionHeads])
        #expect(effects.scalars.allSatisfy { $0.isFinite && abs($0) <= 1 })
        #expect(first.meanHeadOutputs.shape == [c.layerCount, c.attentionWidth])

        // The heads are the four largest effects, largest first.
        let ranked = effects.scalars.indices.sorted { effects.scalars[$0] > effects.scalars[$1] }
        #expect(first.heads.map { $0.layer * c.attentionHeads + $0.head } == Array(ranked.prefix(4)))

        // The vector is Σ o_proj(head output with every other head zeroed), through the tape's own linear.
        var expected = [Float](repeating: 0, count: c.hiddenSize)
        for head in first.heads {
            var input = [Float](repeating: 0, count: c.attentionWidth)
            let start = head.head * c.headDimensions
            for k in 0..<c.headDimensions { input[start + k] = first.meanHeadOutputs.scalars[head.layer * c.attentionWidth + start + k] }
            let projected = Tape().linear(Variable(constant: Tensor(shape: [1, c.attentionWidth], scalars: input)),
                                          weight: Variable(constant: f.model.decoder.weights.layers[head.layer].outputProjection.tensor()))
            for d in 0..<c.hiddenSize { expected[d] += projected.value.scalars[d] }
        }
        #expect(relativeError(first.vector.scalars, expected) < 1e-5)

        // The intervention adds the vector to every row after the chosen layer.
        let interventions = first.interventions(batchSize: 3)
        #expect(interventions.count == 1 && interventions[0].site == .residual(layer: first.layer))
        guard case .add(let value) = interventions[0].action else {
            Issue.record("expected an .add intervention, got \(interventions[0].action)")
            return
        }
        #expect(value.shape == [3, c.hiddenSize] && value.value.row(2) == first.vector.scalars)

        // The same seed gives the same vector; another seed draws other prompts.
        let again = try method.prepareFunctionVector(f.context(), cache: nil)
        #expect(again.vector == first.vector && again.causalIndirectEffects == effects && again.heads == first.heads)
        let other = try method.prepareFunctionVector(f.context(seed: 8), cache: nil)
        #expect(other.vector != first.vector && other.meanHeadOutputs != first.meanHeadOutputs)

        // Fixed heads: no CIE, the same means, the vector of those heads.
        let fixedHeads = Array(first.heads.prefix(2))
        let fixed = try FunctionVectorMethod(cleanPrompts: 3, shots: 3, heads: .fixed(fixedHeads)).prepareFunctionVector(f.context(), cache: nil)
        #expect(fixed.causalIndirectEffects == nil && fixed.heads == fixedHeads && fixed.meanHeadOutputs == first.meanHeadOutputs)
        #expect(fixed.vector == FunctionVectorMethod.functionVector(
            heads: fixedHeads, meanHeadOutputs: first.meanHeadOutputs, decoder: f.model.decoder))

        // Answering test prompts with it runs and scores.
        let evaluation = try Evaluator(model: f.model).evaluate(
            first, task: f.task, items: f.splits.test, train: f.splits.train,
            options: EvaluationOptions(scoring: .firstToken, maxItems: 4, batchSize: 4))
        #expect(evaluation.count == 4)
    }

    /// The artifact is saved and reused for the same settings and seed; fixed heads reuse the
    /// stored means; a stored artifact that does not fit the model is an error, and preparing
    /// works again once it is deleted.
    @Test func artifactIsSavedAndReused() throws {
        let f = try FVTVFixture.load()
        let folder = try FVTVFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = ArtifactCache(root: folder)
        let context = f.context()
        let heads = [AttentionHead(layer: 0, head: 2), AttentionHead(layer: 2, head: 0)]
        let fixed = FunctionVectorMethod(cleanPrompts: 2, shots: 2, heads: .fixed(heads))
        let prepared = try fixed.prepareFunctionVector(context, cache: cache)
        let reused = try fixed.prepareFunctionVector(context, cache: cache)
        #expect(reused.preparation.fromCache && reused.vector == prepared.vector && reused.heads == heads)
        // Another layer: the same artifact, added elsewhere.
        var elsewhere = fixed
        elsewhere.layer = 2
        let moved = try elsewhere.prepareFunctionVector(context, cache: cache)
        #expect(moved.preparation.fromCache && moved.layer == 2 && moved.vector == prepared.vector)

        // The vector is rebuilt from the stored means and heads: a stale stored copy does not leak.
        var stored = try #require(try cache.load(model: f.model.name, method: fixed.name, task: f.task.name, settings: fixed.artifactSettings(context)))
        stored.tensors["function_vector"] = Tensor(shape: [f.model.decoder.configuration.hiddenSize], repeating: 0)
        try cache.save(model: f.model.name, method: fixed.name, task: f.task.name, settings: fixed.artifactSettings(context), artifact: stored)
        let rebuilt = try fixed.prepareFunctionVector(context, cache: cache)
        #expect(rebuilt.preparation.fromCache && rebuilt.vector == prepared.vector)
        #expect(try fixed.prepareFunctionVector(f.context(seed: 99), cache: cache).preparation.fromCache == false)

        // An artifact of wrong shapes under the same settings is an error naming the tensor.
        try cache.save(model: f.model.name, method: fixed.name, task: f.task.name, settings: fixed.artifactSettings(context),
                       artifact: ArtifactCache.Artifact(tensors: ["function_vector": Tensor(shape: [3], repeating: 1)], facts: ["layer": "10"]))
        let stale = cache.folder(model: f.model.name, method: fixed.name, task: f.task.name, settings: fixed.artifactSettings(context))
        #expect(throws: MethodError.artifactShape(method: fixed.name, path: stale.path, tensor: "mean_head_outputs",
                                                  expected: [3, 64], found: nil)) {
            try fixed.prepareFunctionVector(context, cache: cache)
        }
        try FileManager.default.removeItem(at: stale)
        let recomputed = try fixed.prepareFunctionVector(context, cache: cache)
        #expect(!recomputed.preparation.fromCache && recomputed.vector == prepared.vector)

        // Universal heads over one task read its stored CIE; fixed heads then reuse its stored means.
        let topByEffect = FunctionVectorMethod(cleanPrompts: 2, shots: 2, corruptedPrompts: 1, topHeads: 3, rowsPerCall: 135)
        let task = try topByEffect.prepareFunctionVector(context, cache: cache)
        let universal = try topByEffect.universalHeads(contexts: [context], cache: cache)
        #expect(universal.heads == task.heads && universal.average == task.causalIndirectEffects)
        let withUniversal = try FunctionVectorMethod(cleanPrompts: 2, shots: 2, corruptedPrompts: 1, topHeads: 3, heads: .fixed(universal.heads))
            .prepareFunctionVector(context, cache: cache)
        #expect(withUniversal.preparation.tokensProcessed == 0 && withUniversal.vector == task.vector)
    }

    @Test func moreCleanPromptsThanTrainItemsThrows() throws {
        let f = try FVTVFixture.load()
        let context = MethodContext(model: f.model, task: f.task, train: Array(f.splits.train.prefix(5)), valid: [], seed: 1)
        #expect(throws: MethodError.notEnoughItems(method: "function-vectors", task: "reverse", split: "train",
                                                   purpose: "6 clean prompts of distinct queries", needed: 6, available: 5)) {
            try FunctionVectorMethod(cleanPrompts: 6, shots: 2).prepare(context, cache: nil)
        }
        // Enough queries, too many shots: each prompt needs its query and 5 other items.
        #expect(throws: MethodError.notEnoughItems(method: "function-vectors", task: "reverse", split: "train",
                                                   purpose: "5-shot clean prompts (a query and 5 other items)", needed: 6, available: 5)) {
            try FunctionVectorMethod(cleanPrompts: 2, shots: 5).prepare(context, cache: nil)
        }
    }
}

@Test func universalHeadsAverageTheTasksEffects() {
    // Two tasks, L = 2, H = 3.
    let a = Tensor(shape: [2, 3], scalars: [0.1, 0.5, 0.0, 0.2, 0.0, 0.3])
    let b = Tensor(shape: [2, 3], scalars: [0.3, 0.1, 0.0, 0.2, 0.6, 0.1])
    let result = FunctionVectorMethod.universalHeads(averaging: [a, b], count: 3)
    #expect(result.average.shape == [2, 3])
    #expect(relativeError(result.average.scalars, [0.2, 0.3, 0.0, 0.2, 0.3, 0.2]) < 1e-6)
    // 0.3 at (0,1) and (1,1) tie: layer-major order; then 0.2 at (0,0) before (1,0), (1,2).
    #expect(result.heads == [AttentionHead(layer: 0, head: 1), AttentionHead(layer: 1, head: 1), AttentionHead(layer: 0, head: 0)])
}

@Test func topHeadsAreLargestFirstWithLayerMajorTies() {
    let heads = AttentionHead.top(4, of: [0.0, 2.0, -1.0, 2.0, 5.0, 0.0], heads: 2)
    #expect(heads == [AttentionHead(layer: 2, head: 0), AttentionHead(layer: 0, head: 1), AttentionHead(layer: 1, head: 1),
                      AttentionHead(layer: 0, head: 0)])
    #expect(AttentionHead(layer: 9, head: 4).description == "9.4")
}

@Test func settingsNameEveryChoice() {
    #expect(FunctionVectorMethod().settings.values == [
        "clean_prompts": "100", "shots": "10", "layer": "L/3", "corrupted_prompts": "25", "top_heads": "10"])
    let fixed = FunctionVectorMethod(layer: 4, heads: .fixed([AttentionHead(layer: 1, head: 2), AttentionHead(layer: 3, head: 0)]))
    #expect(fixed.settings.values == ["clean_prompts": "100", "shots": "10", "layer": "4", "heads": "1.2,3.0"])
    #expect(fixed.name != FunctionVectorMethod().name)
    #expect(FunctionVectorMethod().resolvedLayer(layerCount: 30) == 10)
}

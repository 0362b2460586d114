// Shape legend: L layers, H heads, Dh head dim, D model dim, k chosen heads, B prompts in a batch.
import Foundation
import Models
import Tasks
import Tensors

/// Function vectors (Todd et al.): the sum, over the heads with the largest causal indirect
/// effect, of each head's mean output projected through its slice of the output projection,
/// added to the residual stream after one layer at the last prompt token.
public struct FunctionVectorMethod: TaskMethod {
    /// How the summed heads are chosen.
    public enum HeadSelection: Equatable, Sendable {
        /// The `topHeads` heads of largest CIE on this task (computed while preparing).
        case topByEffect
        /// Given heads, e.g. the universal heads of several tasks; no CIE is computed.
        case fixed([AttentionHead])
    }

    /// Clean prompts (`shots`-shot, train queries) whose head outputs are averaged.
    public var cleanPrompts: Int
    /// Demonstrations in clean and corrupted prompts.
    public var shots: Int
    /// Shuffled-label prompts the CIE is averaged over.
    public var corruptedPrompts: Int
    /// Heads summed into the vector (with `.topByEffect`).
    public var topHeads: Int
    /// The layer after which the vector is added; nil for L/3 (rounded down).
    public var layer: Int?
    public var heads: HeadSelection
    /// Rows of one forward call of the CIE (see `CausalIndirectEffect.compute`): larger calls run
    /// faster (125 rows took 0.7× the time of 50 on SmolLM2) but hold about rowsPerCall prompt
    /// caches at once, so long prompts get fewer (`CausalIndirectEffect.cachedTokenBudget`);
    /// results agree up to float rounding.
    public var rowsPerCall: Int

    public init(
        cleanPrompts: Int = 100, shots: Int = 10, corruptedPrompts: Int = 25, topHeads: Int = 10,
        layer: Int? = nil, heads: HeadSelection = .topByEffect, rowsPerCall: Int = 128
    ) {
        self.cleanPrompts = cleanPrompts
        self.shots = shots
        self.corruptedPrompts = corruptedPrompts
        self.topHeads = topHeads
        self.layer = layer
        self.heads = heads
        self.rowsPerCall = rowsPerCall
    }

    public var name: MethodName {
        switch heads {
        case .topByEffect: return .functionVectors
        case .fixed: return .functionVectorsFixedHeads
        }
    }

    /// The layer the vector is added after, for a model of `layerCount` layers.
    public func resolvedLayer(layerCount: Int) -> Int { layer ?? layerCount / 3 }

    /// - Throws: `MethodError.invalidSetting` for a setting outside its range (counts < 1, the
    ///   layer, top heads or fixed heads outside the model); `MethodError.notEnoughItems` when the
    ///   train split cannot give the prompts or their demonstrations; `MethodError` for a cached
    ///   artifact that is corrupt or of another shape; what saving the artifact throws.
    public func prepare(_ context: MethodContext, cache: ArtifactCache?) throws -> any PreparedMethod {
        try prepareFunctionVector(context, cache: cache)
    }

    /// Throws `MethodError.invalidSetting` for a setting outside its range on a model of `c`.
    /// Without a model (`c` nil, as the command line checks before loading one) the layer and
    /// the top heads are checked from below only, and fixed heads not at all.
    public func validate(for c: DecoderConfiguration? = nil) throws {
        let check = SettingCheck(method: name)
        try check.atLeast("clean_prompts", cleanPrompts, 1)
        try check.atLeast("shots", shots, 1)
        if let c {
            try check.within("layer", resolvedLayer(layerCount: c.layerCount), 0...(c.layerCount - 1))
        } else if let layer {
            try check.atLeast("layer", layer, 0)
        }
        try check.atLeast("rows_per_call", rowsPerCall, 1)
        switch heads {
        case .topByEffect:
            try check.atLeast("corrupted_prompts", corruptedPrompts, 1)
            if let c {
                try check.within("top_heads", topHeads, 1...(c.layerCount * c.attentionHeads))
            } else {
                try check.atLeast("top_heads", topHeads, 1)
            }
        case .fixed(let list):
            guard let c else { return }
            let l = c.layerCount, h = c.attentionHeads
            guard !list.isEmpty && list.allSatisfy({ (0..<l).contains($0.layer) && (0..<h).contains($0.head) }) else {
                throw MethodError.invalidSetting(method: name, setting: "heads", value: list.map(\.description).joined(separator: ","),
                                                 allowed: "1 or more of layer 0...\(l - 1) . head 0...\(h - 1)")
            }
        }
    }

    /// `prepare`, with the concrete result.
    public func prepareFunctionVector(_ context: MethodContext, cache: ArtifactCache?) throws -> PreparedFunctionVector {
        let start = Date()
        let c = context.model.decoder.configuration
        let l = c.layerCount, h = c.attentionHeads, dh = c.headDimensions
        try validate(for: c)
        let layer = resolvedLayer(layerCount: l)
        let key = artifactSettings(context)
        let location = (model: context.model.name, method: name, task: context.task.name)
        if let cache, let artifact = try cache.load(model: location.model, method: location.method, task: location.task, settings: key) {
            let prepared = try PreparedFunctionVector(artifact: artifact, backend: context.backend, layer: layer, method: name,
                                                      fromCache: Date().timeIntervalSince(start))
            if heads != .topByEffect || prepared.causalIndirectEffects != nil { return prepared }
        }

        var tokens = 0
        var phaseSeconds = [String: Double]()
        let meansStart = Date()
        let means: Tensor   // (L, H·Dh)
        if case .fixed = heads, let cache,
           let stored = try cache.load(model: location.model, method: withTopHeads.name, task: location.task,
                                       settings: withTopHeads.artifactSettings(context)) {
            means = try stored.tensor(FunctionVectorTensor.meanHeadOutputs, shape: [l, h * dh], method: withTopHeads.name)
        } else {
            let clean = try sampleCleanPrompts(context)
            let result = try LastTokenMeans.compute(
                backend: context.backend, prompts: clean.map { context.model.encode($0.text) },
                sites: (0..<l).map { .attentionHeads(layer: $0) })
            means = Tensor(shape: [l, h * dh], scalars: (0..<l).flatMap { result.means[.attentionHeads(layer: $0)]!.scalars })
            tokens += result.tokens
        }

        phaseSeconds["means"] = Date().timeIntervalSince(meansStart)
        let cieStart = Date()
        var effects: Tensor? = nil   // (L, H)
        let chosen: [AttentionHead]
        switch heads {
        case .topByEffect:
            let corrupted = try sampleCorruptedPrompts(context)
            let targets = try corrupted.map { try $0.targetToken(tokenize: context.model.encode) }
            let batch = try context.backend.lastTokenBatch(corrupted.map { context.model.encode($0.text) }, targets: targets)
            let cie = try CausalIndirectEffect.compute(
                batch: batch, targets: targets, meanHeadOutputs: means, shape: context.backend.shape, rowsPerCall: rowsPerCall)
            tokens += batch.prefilledTokens + cie.tokens
            effects = cie.effects
            chosen = AttentionHead.top(topHeads, of: cie.effects.scalars, heads: h)
        case .fixed(let list):
            chosen = list
        }

        phaseSeconds["cie"] = Date().timeIntervalSince(cieStart)
        let vector = Self.functionVector(heads: chosen, projected: try context.backend.projectHeads(means))
        let prepared = PreparedFunctionVector(
            layer: layer, vector: vector, heads: chosen, meanHeadOutputs: means, causalIndirectEffects: effects,
            preparation: PreparationCost(seconds: Date().timeIntervalSince(start), tokensProcessed: tokens),
            phaseSeconds: phaseSeconds)
        try cache?.save(model: location.model, method: location.method, task: location.task, settings: key, artifact: prepared.artifact)
        return prepared
    }

    /// Σ over `heads` of what each head's mean output adds to the residual stream (its slice of
    /// W_o times its mean, through the post-attention norm where the family has one; see
    /// `ProjectedHeadMeans`): (D).
    /// - Parameter meanHeadOutputs: (L, H·Dh).
    public static func functionVector(heads: [AttentionHead], meanHeadOutputs: Tensor, decoder: Decoder) -> Tensor {
        let c = decoder.configuration
        let width = c.attentionWidth
        precondition(meanHeadOutputs.shape == [c.layerCount, width], "functionVector: means \(meanHeadOutputs.shape), expected [\(c.layerCount), \(width)]")
        let means = (0..<c.layerCount).map { Tensor(shape: [width], scalars: meanHeadOutputs.row($0)) }
        return functionVector(heads: heads, projected: ProjectedHeadMeans.project(means: means, decoder: decoder))
    }

    /// Σ over `heads` of P[l, h], summed in Double in the order of `heads`: (D).
    /// - Parameter projected: P (L, H, D), `ModelBackend.projectHeads` of the mean head outputs.
    public static func functionVector(heads: [AttentionHead], projected: Tensor) -> Tensor {
        precondition(projected.rank == 3, "functionVector: P \(projected.shape), expected (L, H, D)")
        let h = projected.shape[1], d = projected.shape[2]
        var sum = [Double](repeating: 0, count: d)
        for head in heads {
            let start = (head.layer * h + head.head) * d
            for row in 0..<d { sum[row] += Double(projected.scalars[start + row]) }
        }
        return Tensor(shape: [d], scalars: sum.map { Float($0) })
    }

    /// The layer: the vector does not depend on where it is added, so one artifact serves every layer.
    public var settingsOutsideArtifact: Set<String> { ["layer"] }

    /// This method choosing its own top heads (whose artifact holds the same mean head outputs).
    var withTopHeads: FunctionVectorMethod {
        var method = self
        method.heads = .topByEffect
        return method
    }

    /// The clean prompts `prepare` averages head outputs over.
    /// - Throws: `MethodError.notEnoughItems` when the train split is too small.
    public func sampleCleanPrompts(_ context: MethodContext) throws -> [TextPrompt] {
        try prompts(context, count: cleanPrompts, purpose: "clean", shuffledLabels: false)
    }

    /// The shuffled-label prompts `prepare` measures the CIE on.
    /// - Throws: `MethodError.notEnoughItems` when the train split is too small.
    public func sampleCorruptedPrompts(_ context: MethodContext) throws -> [TextPrompt] {
        try prompts(context, count: corruptedPrompts, purpose: "corrupted", shuffledLabels: true)
    }

    /// `count` prompts of `shots` shots whose queries are distinct train items drawn with the
    /// context's seed; `purpose` separates the draws of clean and corrupted prompts.
    func prompts(_ context: MethodContext, count: Int, purpose: String, shuffledLabels: Bool) throws -> [TextPrompt] {
        let check = SettingCheck(method: name)
        try check.items(TaskSplit.train.rawValue, of: context.task.name, available: context.train.count, needed: count,
                        for: "\(count) \(purpose) prompts of distinct queries")
        try check.items(TaskSplit.train.rawValue, of: context.task.name, available: context.train.count, needed: shots + 1,
                        for: "\(shots)-shot \(purpose) prompts (a query and \(shots) other items)")
        let seed = SplitMix64.mix([context.seed, SplitMix64.stableHash("function-vectors/\(purpose)")])
        var generator = Xoshiro256StarStar(seed: seed)
        return try generator.sampleWithoutReplacement(count, from: context.train.count).map {
            try context.sampler.prompt(forItem: $0, of: context.train, split: .train, shots: shots, seed: seed, shuffledLabels: shuffledLabels)
        }
    }
}

/// Tensor names in a function-vector artifact.
enum FunctionVectorTensor {
    static let meanHeadOutputs = "mean_head_outputs"            // (L, H·Dh)
    static let causalIndirectEffects = "causal_indirect_effects" // (L, H)
    static let heads = "heads"                                   // (k, 2): layer, head
    static let functionVector = "function_vector"                // (D)
}

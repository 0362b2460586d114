// Shape legend: B sequences, R rows of a last-token call, V vocab.
import Tensors
import Tokenizers

/// The native CPU engine as a backend: `Decoder.forward`, `LanguageModel.generate` and the
/// last-token path, with gradients from the autodiff `Tape`.
public final class NativeBackend: ModelBackend {
    public let decoder: Decoder
    /// Decodes generated tokens for the stop rules; nil for a model without one (tiny
    /// checkpoints), which cannot generate.
    public let tokenizer: Tokenizer?
    public let shape: BackendModelShape

    public convenience init(model: LanguageModel) {
        self.init(decoder: model.decoder, tokenizer: model.tokenizer)
    }

    public init(decoder: Decoder, tokenizer: Tokenizer?) {
        self.decoder = decoder
        self.tokenizer = tokenizer
        let c = decoder.configuration
        shape = BackendModelShape(
            layers: c.layerCount, attentionHeads: c.attentionHeads, headDimensions: c.headDimensions,
            hiddenSize: c.hiddenSize, vocabularySize: c.vocabularySize)
    }

    public var settings: [String: String] { Self.settings(compute: decoder.computePrecision) }

    /// Empty in float32 (the reference), so results stored before other precisions existed keep
    /// their names; another compute precision is named.
    public static func settings(compute: ComputePrecision) -> [String: String] {
        compute == .float32 ? [:] : ["compute": compute.rawValue]
    }

    public func forward(_ sequences: [[Int]], plan: InterventionPlan, logits: Decoder.LogitRows) throws -> BackendForward {
        let tape = Tape()
        let converted = try TapeInterventions(plan, batch: sequences.count, shape: shape, tape: tape)
        let output = decoder.forward(
            sequences, caches: sequences.map { _ in decoder.makeCache() }, tape: tape,
            interventions: converted.interventions, logits: logits)
        return BackendForward(logits: output.logits?.value, captures: output.captures)
    }

    public func generate(
        _ prompts: [[Int]], options: GenerationOptions, plan: (Range<Int>) -> InterventionPlan
    ) throws -> [Generated] {
        guard let tokenizer else { throw BackendError.noTokenizer }
        let model = LanguageModel(name: "", decoder: decoder, tokenizer: tokenizer)
        // Batch by batch as `LanguageModel.generate` does, so that each batch's plan is checked first.
        var results = [Generated]()
        var start = 0
        while start < prompts.count {
            let range = start..<min(prompts.count, start + options.batchSize)
            let interventions = try TapeInterventions(plan(range), batch: range.count, shape: shape, tape: Tape()).interventions
            results += model.generate(Array(prompts[range]), options: options.forPrompts(from: range.lowerBound)) { _ in interventions }
            start = range.upperBound
        }
        return results
    }

    /// Each batch's prefixes are prefilled once; every branch continues from a copy.
    public func generateBranches(
        _ prompts: [[Int]], options: GenerationOptions, plans: [(Range<Int>) -> InterventionPlan]
    ) throws -> BranchedGeneration {
        guard let tokenizer else { throw BackendError.noTokenizer }
        let model = LanguageModel(name: "", decoder: decoder, tokenizer: tokenizer)
        // Batch by batch as `generate` does: each batch's plans are converted (and checked) just
        // before it runs, so only one batch's intervention values are held at a time.
        var result = BranchedGeneration(branches: plans.map { _ in [] }, branchSeconds: plans.map { _ in 0 })
        var start = 0
        while start < prompts.count {
            let range = start..<min(prompts.count, start + options.batchSize)
            let converted = try plans.map { try TapeInterventions($0(range), batch: range.count, shape: shape, tape: Tape()).interventions }
            guard converted.allSatisfy({ $0.allSatisfy { $0.position == .last } }) else {
                throw BackendError.interventionBeforeLastToken(call: "generateBranches")
            }
            result.append(model.generateBranches(Array(prompts[range]), options: options.forPrompts(from: range.lowerBound),
                                                 branches: converted.map { interventions in
                { _ in interventions }
            }))
            start = range.upperBound
        }
        return result
    }

    public func lastTokenBatch(_ prompts: [[Int]], targets: [Int]) throws -> any LastTokenBatch {
        NativeLastTokenBatch(decoder: decoder, shape: shape, prompts: prompts, targets: targets)
    }

    /// `Decoder.projectedHeadOutputs` of the rows of `headOutputs` (L, H·Dh).
    /// - Throws: `BackendError.badValue` for another shape.
    public func projectHeads(_ headOutputs: Tensor) throws -> Tensor {
        guard headOutputs.shape == [shape.layers, shape.attentionWidth] else {
            throw BackendError.badValue("projectHeads: head outputs \(headOutputs.shape), expected (\(shape.layers), \(shape.attentionWidth))")
        }
        let w = shape.attentionWidth
        return decoder.projectedHeadOutputs(
            (0..<shape.layers).map { Tensor(shape: [w], scalars: Array(headOutputs.scalars[($0 * w)..<(($0 + 1) * w)])) })
    }
}

/// Prompts prefilled up to, and excluding, their last token — once, without a tape — so that
/// the last token can be run again and again with interventions (forward, and backward when
/// optimising) at the cost of one token per prompt.
public final class NativeLastTokenBatch: LastTokenBatch {
    let decoder: Decoder
    let shape: BackendModelShape
    /// Every prompt's cache holds all of its tokens but the last.
    let caches: [KVCache]
    /// The last token of each prompt.
    let lastTokens: [Int]
    /// The target token of each prompt (for losses), when targets were given.
    let targets: [Int]
    public let prefilledTokens: Int

    /// - Precondition: every prompt has a token; no targets or one per prompt.
    init(decoder: Decoder, shape: BackendModelShape, prompts: [[Int]], targets: [Int], batchSize: Int = 32) {
        precondition(prompts.allSatisfy { !$0.isEmpty }, "lastTokenBatch: an empty prompt")
        precondition(targets.isEmpty || targets.count == prompts.count, "lastTokenBatch: \(targets.count) targets for \(prompts.count) prompts")
        self.decoder = decoder
        self.shape = shape
        let (caches, prefilled) = decoder.prefillPrefixes(prompts, batchSize: batchSize)
        self.caches = caches
        lastTokens = prompts.map { $0[$0.count - 1] }
        self.targets = targets
        prefilledTokens = prefilled
    }

    public var count: Int { lastTokens.count }

    /// Copies of a prompt's cache for its second, third, … use within one call, made once and
    /// kept (a call that runs each prompt n times holds n − 1 copies of each, as long as the batch).
    private var copies = [Int: [KVCache]]()
    /// Per layer l ≥ 1, the residual stream entering l at each prompt's last token without
    /// interventions ([l] (P, D); [0] unused), recorded at the first `forward(_:plan:unchangedBelow:)`.
    private var entering: [[Float]]?

    /// The caches of one call: a prompt's own for its first use, a kept copy for each further use.
    private func caches(for indices: [Int]) -> [KVCache] {
        var uses = [Int: Int]()
        return indices.map { i in
            let use = uses[i, default: 0]
            uses[i] = use + 1
            if use == 0 { return caches[i] }
            var kept = copies[i, default: []]
            while kept.count < use { kept.append(caches[i].copy()) }
            copies[i] = kept
            return kept[use - 1]
        }
    }

    /// Runs the last tokens of `indices` on `tape`, then restores the caches.
    func run(_ indices: [Int], tape: Tape, interventions: [Intervention], fromLayer first: Int = 0) -> Decoder.Output {
        let caches = caches(for: indices)
        let lengths = caches.map(\.count)
        let output: Decoder.Output
        if first == 0 {
            output = decoder.forward(indices.map { [lastTokens[$0]] }, caches: caches, tape: tape,
                                     interventions: interventions, logits: .last)
        } else {
            let d = shape.hiddenSize, entering = recordedEntering()
            var residual = [Float]()   // (R, D)
            residual.reserveCapacity(indices.count * d)
            for i in indices { residual.append(contentsOf: entering[first][(i * d)..<((i + 1) * d)]) }
            output = decoder.forward(residual: Tensor(shape: [indices.count, d], scalars: residual), fromLayer: first,
                                     caches: caches, tape: tape, interventions: interventions)
        }
        for (cache, length) in zip(caches, lengths) { cache.truncate(to: length) }
        return output
    }

    /// The residual streams entering every layer, recorded once (32 prompts a call).
    private func recordedEntering() -> [[Float]] {
        if let entering { return entering }
        let l = shape.layers, d = shape.hiddenSize, p = count
        var recorded = [[Float]](repeating: [Float](repeating: 0, count: p * d), count: l)
        let sites = (0..<(l - 1)).map { InterventionSite.residual(layer: $0) }
        var start = 0
        while start < p {
            let indices = Array(start..<min(p, start + 32))
            let output = run(indices, tape: Tape(), interventions: sites.map { Intervention($0, .capture) })
            for site in sites {
                recorded[site.layer + 1].replaceSubrange((start * d)..<((start + indices.count) * d), with: output.captures[site]!.scalars)
            }
            start += indices.count
        }
        entering = recorded
        return recorded
    }

    public func forward(_ indices: [Int], plan: InterventionPlan) throws -> BackendForward {
        let tape = Tape()
        let converted = try TapeInterventions(plan, batch: indices.count, shape: shape, tape: tape)
        let output = run(indices, tape: tape, interventions: converted.interventions)
        return BackendForward(logits: output.logits?.value, captures: output.captures)
    }

    /// Starts at `layer` from the recorded residual stream entering it (recorded at the first call).
    public func forward(_ indices: [Int], plan: InterventionPlan, unchangedBelow layer: Int) throws -> BackendForward {
        guard layer > 0 else { return try forward(indices, plan: plan) }
        precondition(layer < shape.layers, "forward(unchangedBelow:): layer \(layer) outside \(shape.layers) layers")
        let tape = Tape()
        let converted = try TapeInterventions(plan, batch: indices.count, shape: shape, tape: tape)
        guard converted.interventions.allSatisfy({ $0.site.layer >= layer }) else {
            throw BackendError.badValue("forward(unchangedBelow: \(layer)): an intervention before layer \(layer)")
        }
        let output = run(indices, tape: tape, interventions: converted.interventions, fromLayer: layer)
        return BackendForward(logits: output.logits?.value, captures: output.captures)
    }

    public func loss(_ indices: [Int], plan: InterventionPlan, reduction: LossReduction, gradients: Bool) throws -> LastTokenLoss {
        guard !targets.isEmpty else { throw BackendError.noTargets }
        let tape = Tape()
        let converted = try TapeInterventions(plan, batch: indices.count, shape: shape, tape: tape)
        let output = run(indices, tape: tape, interventions: converted.interventions)
        let logits = output.logits!  // `.last` always gives logits
        let rowLosses = tape.crossEntropy(logits: logits, targets: indices.map { targets[$0] })
        let reduced = reduction.kind == .mean ? tape.mean(rowLosses) : tape.sum(rowLosses)
        let loss = reduction.scale == 1 ? reduced : tape.scale(reduced, by: reduction.scale)
        var grads = [String: Tensor]()
        if gradients {
            let all = tape.gradients(of: loss)
            for (name, parameter) in converted.parameters { grads[name] = all[parameter] }
        }
        return LastTokenLoss(loss: loss.value.scalars[0], rowLosses: rowLosses.value.scalars, gradients: grads, logits: logits.value)
    }
}

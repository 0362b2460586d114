// Greedy generation of many prompts at once, each sequence stopping on its own.
import Foundation
import Tensors

/// How far and until what to generate.
public struct GenerationOptions: Sendable {
    /// At most this many new tokens per sequence.
    public var maxNewTokens: Int
    /// Masks the end-of-sequence token at the first step, so every answer has a token (SITE's rule).
    public var suppressEndOfSequenceAtFirstStep: Bool
    /// A sequence stops once its decoded continuation contains one of these (kept in the text).
    public var stopStrings: [String]
    /// A sequence stops once this returns true for its prompt (its index in the prompts given to
    /// `generate`) and its decoded continuation; for scoring rules whose result cannot change any more.
    public var stopWhen: (@Sendable (_ prompt: Int, _ text: String) -> Bool)?
    /// Sequences run together in one batch; more prompts are processed batch after batch.
    public var batchSize: Int

    public init(
        maxNewTokens: Int = 20, suppressEndOfSequenceAtFirstStep: Bool = true, stopStrings: [String] = [],
        stopWhen: (@Sendable (_ prompt: Int, _ text: String) -> Bool)? = nil, batchSize: Int = 32
    ) {
        self.maxNewTokens = maxNewTokens
        self.suppressEndOfSequenceAtFirstStep = suppressEndOfSequenceAtFirstStep
        self.stopStrings = stopStrings
        self.stopWhen = stopWhen
        self.batchSize = max(1, batchSize)
    }

    /// These options for the prompts from index `first` on (one batch of them): the batch's
    /// prompt b is prompt first + b to `stopWhen`.
    public func forPrompts(from first: Int) -> GenerationOptions {
        guard first != 0, let rule = stopWhen else { return self }
        var shifted = self
        shifted.stopWhen = { prompt, text in rule(first + prompt, text) }
        return shifted
    }
}

/// One sequence's continuation.
public struct Generated: Sendable, Equatable {
    /// New tokens, without the end-of-sequence token.
    public var tokens: [Int]
    /// The new tokens decoded without special tokens.
    public var text: String
    /// Why generation ended.
    public var stop: StopReason

    public enum StopReason: String, Sendable { case endOfSequence, maxTokens, stopString, stopRule }
}

extension LanguageModel {
    /// Greedy continuations of `prompts` (token ids, BOS included where the model uses one).
    ///
    /// - Parameter interventions: for the prompts in a range (one batch), the interventions of
    ///   their forward pass, applied there only (`.last` is each prompt's last token); values have
    ///   one row per prompt of the batch, in prompt order.
    public func generate(
        _ prompts: [[Int]], options: GenerationOptions = GenerationOptions(),
        interventions: (Range<Int>) -> [Intervention] = { _ in [] }
    ) -> [Generated] {
        var results = [Generated]()
        results.reserveCapacity(prompts.count)
        var start = 0
        while start < prompts.count {
            let range = start..<min(prompts.count, start + options.batchSize)
            results.append(contentsOf: generateBatch(Array(prompts[range]), options: options.forPrompts(from: range.lowerBound),
                                                     interventions: interventions(range)))
            start = range.upperBound
        }
        return results
    }

    /// Continuations of several branches of the same prompts: branch k applies `branches[k]`'s
    /// interventions. Each batch's prompts are prefilled up to their last token once; every
    /// branch continues from a copy of those caches, so a branch's continuations equal
    /// `generate(prompts, options:, interventions: branches[k])` exactly.
    ///
    /// - Returns: one list of continuations per branch, in prompt order, and the cost of the
    ///   shared prefill.
    /// - Precondition: every intervention acts at `.last` (a prefix shared by branches carries none).
    public func generateBranches(
        _ prompts: [[Int]], options: GenerationOptions = GenerationOptions(),
        branches: [(Range<Int>) -> [Intervention]]
    ) -> BranchedGeneration {
        var result = BranchedGeneration(branches: branches.map { _ in [] }, branchSeconds: branches.map { _ in 0 })
        var start = 0
        while start < prompts.count {
            let range = start..<min(prompts.count, start + options.batchSize)
            let batch = Array(prompts[range])
            let began = Date()
            let prefixes = prefillPrefixes(batch)
            result.prefillSeconds += Date().timeIntervalSince(began)
            result.prefixTokens += batch.reduce(0) { $0 + $1.count - 1 }
            let batchOptions = options.forPrompts(from: range.lowerBound)
            for (k, branch) in branches.enumerated() {
                let interventions = branch(range)
                precondition(interventions.allSatisfy { $0.position == .last }, "generateBranches: an intervention before the last token")
                let branchStart = Date()
                result.branches[k] += continueGreedy(
                    from: prefixes.map { $0.copy() }, lastTokens: batch.map { $0[$0.count - 1] },
                    options: batchOptions, interventions: interventions)
                result.branchSeconds[k] += Date().timeIntervalSince(branchStart)
            }
            start = range.upperBound
        }
        return result
    }

    /// One batch: the prompts prefilled up to their last token, then the last token run with the
    /// interventions, so that every path to a continuation (one method, or branches of a shared
    /// prefix) computes the same numbers. Interventions at other positions (`.indices`, which
    /// index the call's new tokens) need the whole prompt in one call.
    func generateBatch(_ prompts: [[Int]], options: GenerationOptions, interventions: [Intervention]) -> [Generated] {
        guard options.maxNewTokens > 0 else { return prompts.map { _ in Generated(tokens: [], text: "", stop: .maxTokens) } }
        if interventions.allSatisfy({ $0.position == .last }) {
            return continueGreedy(from: prefillPrefixes(prompts), lastTokens: prompts.map { $0[$0.count - 1] },
                                  options: options, interventions: interventions)
        }
        let caches = prompts.map { _ in decoder.makeCache() }
        let logits = decoder.forward(prompts, caches: caches, interventions: interventions).logits!.value
        return greedy(caches: caches, firstLogits: logits, options: options)
    }

    /// Caches holding each prompt's tokens but the last (one batch).
    func prefillPrefixes(_ prompts: [[Int]]) -> [KVCache] {
        decoder.prefillPrefixes(prompts, batchSize: prompts.count).caches
    }

    /// Runs each prompt's last token on its prefilled cache with `interventions`, then generates.
    func continueGreedy(from caches: [KVCache], lastTokens: [Int], options: GenerationOptions, interventions: [Intervention]) -> [Generated] {
        let logits = decoder.forward(lastTokens.map { [$0] }, caches: caches, interventions: interventions).logits!.value
        return greedy(caches: caches, firstLogits: logits, options: options)
    }

    /// Greedy decoding from the logits of each prompt's last token (B, V), one cache per prompt
    /// (row b is prompt b to `options.stopWhen`).
    private func greedy(caches: [KVCache], firstLogits: Tensor, options: GenerationOptions) -> [Generated] {
        let v = decoder.configuration.vocabularySize
        var outputs = caches.map { _ in Generated(tokens: [], text: "", stop: .maxTokens) }
        var active = Array(caches.indices)
        guard options.maxNewTokens > 0 else { return outputs }
        var logits = firstLogits
        let eos = tokenizer.eosTokenId
        for step in 0..<options.maxNewTokens {
            var stillActive = [Int]()
            for (row, b) in active.enumerated() {
                let token = logits.scalars.withUnsafeBufferPointer { p -> Int in
                    argmax(p, offset: row * v, count: v, excluding: step == 0 && options.suppressEndOfSequenceAtFirstStep ? eos : nil)
                }
                if token == eos {
                    outputs[b].stop = .endOfSequence
                    continue
                }
                outputs[b].tokens.append(token)
                outputs[b].text = tokenizer.decode(outputs[b].tokens, skipSpecialTokens: true)
                if options.stopStrings.contains(where: { outputs[b].text.contains($0) }) {
                    outputs[b].stop = .stopString
                } else if let rule = options.stopWhen, rule(b, outputs[b].text) {
                    outputs[b].stop = .stopRule
                } else if step + 1 < options.maxNewTokens {
                    stillActive.append(b)
                }
            }
            active = stillActive
            if active.isEmpty { break }
            logits = decoder.forward(active.map { [outputs[$0].tokens.last!] }, caches: active.map { caches[$0] }).logits!.value
        }
        return outputs
    }
}

/// Continuations of branches that share their prompts' prefill (`generateBranches`).
public struct BranchedGeneration: Sendable {
    /// One list per branch, in prompt order.
    public var branches: [[Generated]]
    /// Wall seconds each branch took after the shared prefill (its last tokens and generation).
    public var branchSeconds: [Double]
    /// Wall seconds of the shared prefill (every prompt's tokens but the last, once).
    public var prefillSeconds: Double = 0
    /// Tokens of that prefill.
    public var prefixTokens: Int = 0

    public init(branches: [[Generated]], branchSeconds: [Double], prefillSeconds: Double = 0, prefixTokens: Int = 0) {
        self.branches = branches
        self.branchSeconds = branchSeconds
        self.prefillSeconds = prefillSeconds
        self.prefixTokens = prefixTokens
    }

    /// Adds `later`'s continuations (later prompts, the same branches) and costs.
    public mutating func append(_ later: BranchedGeneration) {
        precondition(later.branches.count == branches.count, "BranchedGeneration: \(later.branches.count) branches after \(branches.count)")
        for k in branches.indices {
            branches[k] += later.branches[k]
            branchSeconds[k] += later.branchSeconds[k]
        }
        prefillSeconds += later.prefillSeconds
        prefixTokens += later.prefixTokens
    }
}

/// Index of the largest of `count` values from `offset`, skipping `excluding`; ties go to the lower index.
@inline(__always)
func argmax(_ p: UnsafeBufferPointer<Float>, offset: Int, count: Int, excluding: Int?) -> Int {
    var best = -1
    var bestValue = -Float.infinity
    for j in 0..<count where j != excluding {
        let x = p[offset + j]
        if best < 0 || x > bestValue {
            best = j
            bestValue = x
        }
    }
    return best
}

// Shape legend: P prompts, R rows of one forward call, L layers, H heads, Dh head dim, V vocab.
import Foundation
import Models
import Tensors

/// The causal indirect effect (CIE) of every attention head (Todd et al.): how much replacing
/// the head's output at the last token of a corrupted (shuffled-label) prompt by its mean over
/// clean prompts raises the probability of the correct first answer token.
///
/// CIE(l, h) = mean over prompts p of P(target_p | head (l, h) patched) − P(target_p | unpatched).
///
/// Every (prompt, head) pair is one row of a batched forward call on the last-token path: the
/// prompts are prefilled once, and each row reruns only its prompt's last token with its own
/// head replaced, from the layer of the first head of its call where the backend can (the native
/// engine records the unpatched residual stream entering each layer once per prompt): on average
/// half the layers.
public enum CausalIndirectEffect {
    /// - Parameters:
    ///   - batch: the corrupted prompts on a backend, made with their targets.
    ///   - targets: the first target token of each prompt of `batch`.
    ///   - meanHeadOutputs: (L, H·Dh), every head's mean output at the last token of clean prompts.
    ///   - shape: the backend's model sizes.
    ///   - rowsPerCall: rows of one forward call, rounded down to a multiple of P when it is at
    ///     least P. Rows are ordered head after head, prompt after prompt; a call of n·P rows
    ///     runs each prompt n times (the native engine keeps n − 1 copies of every prompt's
    ///     cache, made once), so memory grows with it. Results agree across values up to float
    ///     rounding.
    ///   - cachedTokenBudget: at most this many prompt tokens of cache copies per call: fewer
    ///     runs of each prompt per call when the prompts are long (see `cachedTokenBudget`).
    /// - Returns: the effects (L, H), and the tokens run (one per row).
    /// - Throws: what the backend throws.
    /// - Precondition: `meanHeadOutputs` is (L, H·Dh) of the model.
    public static func compute(
        batch: any LastTokenBatch, targets: [Int], meanHeadOutputs: Tensor, shape: BackendModelShape, rowsPerCall: Int = 128,
        cachedTokenBudget: Int = cachedTokenBudget
    ) throws -> (effects: Tensor, tokens: Int) {
        let l = shape.layers, h = shape.attentionHeads
        let heads = (0..<(l * h)).map { AttentionHead(layer: $0 / h, head: $0 % h) }
        let result = try compute(heads, batch: batch, targets: targets, meanHeadOutputs: meanHeadOutputs, shape: shape,
                                 rowsPerCall: rowsPerCall, cachedTokenBudget: cachedTokenBudget)
        return (Tensor(shape: [l, h], scalars: result.effects), result.tokens)
    }

    /// Prompt tokens of cache copies one call may hold. The 25 corrupted 10-shot squad_val prompts
    /// (about 53,000 tokens: its 10-shot prompts average about 2,100) run 5 times per 128-row call
    /// took the process to 15 GB on SmolLM2 (46 KB of keys and values per token) and were killed
    /// for memory on a 24 GB machine; with this budget they run once per call, while every other
    /// task's prompts (the longest, ag_news's, about 17,000 tokens) still run 5 times, as before.
    public static let cachedTokenBudget = 100_000

    /// Rows of one call: `rowsPerCall` rounded down to whole runs of the P prompts when it is at
    /// least P, and no more runs than `cachedTokenBudget` allows (at least one).
    static func callSize(rowsPerCall: Int, prompts p: Int, prefilledTokens: Int, cachedTokenBudget: Int) -> Int {
        guard rowsPerCall >= p else { return rowsPerCall }
        let runs = min(rowsPerCall / p, cachedTokenBudget / max(1, prefilledTokens))
        return max(1, runs) * p
    }

    /// The CIE of `heads` only, in their order; see `compute(batch:targets:meanHeadOutputs:shape:rowsPerCall:cachedTokenBudget:)`.
    public static func compute(
        _ heads: [AttentionHead], batch: any LastTokenBatch, targets: [Int], meanHeadOutputs: Tensor, shape: BackendModelShape,
        rowsPerCall: Int = 128, cachedTokenBudget: Int = cachedTokenBudget
    ) throws -> (effects: [Float], tokens: Int) {
        let l = shape.layers, h = shape.attentionHeads, dh = shape.headDimensions, p = batch.count
        precondition(targets.count == p, "CIE needs the prompts' target tokens")
        precondition(meanHeadOutputs.shape == [l, h * dh], "CIE: mean head outputs \(meanHeadOutputs.shape), expected [\(l), \(h * dh)]")
        precondition(heads.allSatisfy { (0..<l).contains($0.layer) && (0..<h).contains($0.head) }, "CIE: heads outside \(l) layers × \(h) heads")
        precondition(rowsPerCall > 0, "CIE: rowsPerCall must be positive, got \(rowsPerCall)")

        var unpatched = [Double](repeating: 0, count: p)   // (P)
        var start = 0
        while start < p {
            let indices = Array(start..<min(p, start + rowsPerCall))
            let probabilities = targetProbabilities(try logits(batch.forward(indices, plan: InterventionPlan())), targets: indices.map { targets[$0] })
            for (row, i) in indices.enumerated() { unpatched[i] = probabilities[row] }
            start += indices.count
        }

        // Row r patches heads[r / P] in prompt r % P. A row that patches a head of layer l changes
        // nothing before l, so each call starts at the first layer it patches where the backend can.
        let callSize = Self.callSize(rowsPerCall: rowsPerCall, prompts: p, prefilledTokens: batch.prefilledTokens,
                                     cachedTokenBudget: cachedTokenBudget)
        let rowCount = heads.count * p
        var sums = [Double](repeating: 0, count: heads.count)
        start = 0
        while start < rowCount {
            let rows = start..<min(rowCount, start + callSize)
            let rowHeads = rows.map { heads[$0 / p] }
            let plan = headReplacements(rowHeads, means: meanHeadOutputs, headDimensions: dh)
            let first = rowHeads.map(\.layer).min() ?? 0
            let output = try batch.forward(rows.map { $0 % p }, plan: plan, unchangedBelow: first)
            let probabilities = targetProbabilities(try logits(output), targets: rows.map { targets[$0 % p] })
            for (offset, r) in rows.enumerated() {
                sums[r / p] += probabilities[offset] - unpatched[r % p]
            }
            start = rows.upperBound
        }
        return (sums.map { Float($0 / Double(p)) }, p + rowCount)
    }

    /// One `.replaceHead` request per layer of `rowHeads` (the head each row patches, R), its
    /// value the constant "replace_head.<layer>" (R, Dh); rows that patch another layer carry head
    /// −1 (and a zero value row) in it.
    /// - Parameter means: (L, H·Dh).
    static func headReplacements(_ rowHeads: [AttentionHead], means: Tensor, headDimensions dh: Int) -> InterventionPlan {
        let width = means.shape[1]
        var requests = [InterventionRequest](), constants = [String: Tensor]()
        for layer in Set(rowHeads.map(\.layer)).sorted() {
            var heads = [Int](repeating: -1, count: rowHeads.count)
            var values = [Float](repeating: 0, count: rowHeads.count * dh)   // (R, Dh)
            for (row, head) in rowHeads.enumerated() where head.layer == layer {
                heads[row] = head.head
                let source = layer * width + head.head * dh
                values.replaceSubrange((row * dh)..<((row + 1) * dh), with: means.scalars[source..<(source + dh)])
            }
            let name = "replace_head.\(layer)"
            constants[name] = Tensor(shape: [rowHeads.count, dh], scalars: values)
            requests.append(InterventionRequest(.attentionHeads(layer: layer), .replaceHead(heads: heads, value: .named(name))))
        }
        return InterventionPlan(requests, inputs: InterventionInputs(constants: constants))
    }

    /// The logits of a last-token call, which always has them.
    private static func logits(_ output: BackendForward) throws -> Tensor {
        guard let logits = output.logits else { throw BackendError.badValue("CIE: a last-token call returned no logits") }
        return logits
    }

    /// softmax of each row of `logits` (R, V) at that row's target.
    static func targetProbabilities(_ logits: Tensor, targets: [Int]) -> [Double] {
        let v = logits.shape[1]
        return logits.scalars.withUnsafeBufferPointer { all in
            targets.enumerated().map { row, target in
                softmaxProbability(UnsafeBufferPointer(rebasing: all[(row * v)..<((row + 1) * v)]), of: target)
            }
        }
    }

    /// softmax(logits)[index], computed stably in Double.
    static func softmaxProbability(_ logits: UnsafeBufferPointer<Float>, of index: Int) -> Double {
        var maximum = -Float.infinity
        for x in logits where x > maximum { maximum = x }
        var sum = 0.0
        for x in logits { sum += exp(Double(x - maximum)) }
        return exp(Double(logits[index] - maximum)) / sum
    }
}

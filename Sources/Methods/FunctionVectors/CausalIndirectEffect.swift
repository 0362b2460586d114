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
/// head replaced, from the layer of the first head of its call (the unpatched residual stream
/// entering that layer is recorded once per prompt): on average half the layers.
public enum CausalIndirectEffect {
    /// - Parameters:
    ///   - prompts: the corrupted prompts, with their targets.
    ///   - meanHeadOutputs: (L, H·Dh), every head's mean output at the last token of clean prompts.
    ///   - rowsPerCall: rows of one forward call, rounded down to a multiple of P when it is at
    ///     least P. Rows are ordered head after head, prompt after prompt; a call of n·P rows
    ///     runs each prompt n times and holds n − 1 extra copies of every prompt's cache (made
    ///     once), so memory grows with it. Results agree across values up to float rounding.
    /// - Returns: the effects (L, H), and the tokens run (one per row).
    /// - Precondition: `prompts` has targets; `meanHeadOutputs` is (L, H·Dh) of the model.
    public static func compute(
        prompts: LastTokenPrompts, meanHeadOutputs: Tensor, rowsPerCall: Int = 128
    ) -> (effects: Tensor, tokens: Int) {
        let c = prompts.model.decoder.configuration
        let heads = (0..<(c.layerCount * c.attentionHeads)).map { AttentionHead(layer: $0 / c.attentionHeads, head: $0 % c.attentionHeads) }
        let result = compute(heads, prompts: prompts, meanHeadOutputs: meanHeadOutputs, rowsPerCall: rowsPerCall)
        return (Tensor(shape: [c.layerCount, c.attentionHeads], scalars: result.effects), result.tokens)
    }

    /// The CIE of `heads` only, in their order; see `compute(prompts:meanHeadOutputs:rowsPerCall:)`.
    public static func compute(
        _ heads: [AttentionHead], prompts: LastTokenPrompts, meanHeadOutputs: Tensor, rowsPerCall: Int = 128
    ) -> (effects: [Float], tokens: Int) {
        let c = prompts.model.decoder.configuration
        let l = c.layerCount, h = c.attentionHeads, dh = c.headDimensions, p = prompts.count
        precondition(prompts.targets.count == p, "CIE needs the prompts' target tokens")
        precondition(meanHeadOutputs.shape == [l, h * dh], "CIE: mean head outputs \(meanHeadOutputs.shape), expected [\(l), \(h * dh)]")
        precondition(heads.allSatisfy { (0..<l).contains($0.layer) && (0..<h).contains($0.head) }, "CIE: heads outside \(l) layers × \(h) heads")
        precondition(rowsPerCall > 0, "CIE: rowsPerCall must be positive, got \(rowsPerCall)")

        // The unpatched runs also record the residual stream entering every layer: a row that
        // patches a head of layer l changes nothing before l, so it starts there.
        var unpatched = [Double](repeating: 0, count: p)   // (P)
        let d = c.hiddenSize
        var entering = [[Float]](repeating: [Float](repeating: 0, count: p * d), count: l)   // [layer] (P, D)
        let captureSites = (0..<(l - 1)).map { InterventionSite.residual(layer: $0) }
        var start = 0
        while start < p {
            let indices = Array(start..<min(p, start + rowsPerCall))
            let output = prompts.run(indices, interventions: captureSites.map { Intervention($0, .capture) })
            let probabilities = targetProbabilities(output.logits!.value, targets: indices.map { prompts.targets[$0] })
            for (row, i) in indices.enumerated() { unpatched[i] = probabilities[row] }
            for site in captureSites {
                let captured = output.captures[site]!.scalars
                entering[site.layer + 1].replaceSubrange((start * d)..<((start + indices.count) * d), with: captured)
            }
            start += indices.count
        }

        // Row r patches heads[r / P] in prompt r % P. A call of n·P rows runs every prompt n
        // times; its j-th run uses the prompt's j-th cache slot (slot 0 is the prompt's own
        // cache, the others are copies made once), so no call copies a cache.
        let callSize = rowsPerCall >= p ? (rowsPerCall / p) * p : rowsPerCall
        let slots = (0..<max(1, callSize / p)).map { j in (0..<p).map { j == 0 ? prompts.caches[$0] : prompts.caches[$0].copy() } }
        let rowCount = heads.count * p
        var sums = [Double](repeating: 0, count: heads.count)
        start = 0
        while start < rowCount {
            let rows = start..<min(rowCount, start + callSize)
            let caches = rows.map { slots[($0 - rows.lowerBound) / p][$0 % p] }
            let lengths = caches.map(\.count)
            let interventions = headReplacements(rows.map { heads[$0 / p] }, means: meanHeadOutputs, headDimensions: dh)
            let first = rows.map { heads[$0 / p].layer }.min()!
            let output: Decoder.Output
            if first == 0 {
                output = prompts.model.decoder.forward(rows.map { [prompts.lastTokens[$0 % p]] }, caches: caches, interventions: interventions)
            } else {
                var residual = [Float]()   // (R, D)
                residual.reserveCapacity(rows.count * d)
                for r in rows { residual.append(contentsOf: entering[first][((r % p) * d)..<((r % p + 1) * d)]) }
                output = prompts.model.decoder.forward(
                    residual: Tensor(shape: [rows.count, d], scalars: residual), fromLayer: first, caches: caches,
                    interventions: interventions)
            }
            let logits = output.logits!.value
            for (cache, length) in zip(caches, lengths) { cache.truncate(to: length) }
            let probabilities = targetProbabilities(logits, targets: rows.map { prompts.targets[$0 % p] })
            for (offset, r) in rows.enumerated() {
                sums[r / p] += probabilities[offset] - unpatched[r % p]
            }
            start = rows.upperBound
        }
        return (sums.map { Float($0 / Double(p)) }, p + rowCount)
    }

    /// One `.replaceHead` intervention per layer of `rowHeads` (the head each row patches, R);
    /// rows that patch another layer carry head −1 (and a zero value row) in it.
    /// - Parameter means: (L, H·Dh).
    static func headReplacements(_ rowHeads: [AttentionHead], means: Tensor, headDimensions dh: Int) -> [Intervention] {
        let width = means.shape[1]
        return Set(rowHeads.map(\.layer)).sorted().map { layer in
            var heads = [Int](repeating: -1, count: rowHeads.count)
            var values = [Float](repeating: 0, count: rowHeads.count * dh)   // (R, Dh)
            for (row, head) in rowHeads.enumerated() where head.layer == layer {
                heads[row] = head.head
                let source = layer * width + head.head * dh
                values.replaceSubrange((row * dh)..<((row + 1) * dh), with: means.scalars[source..<(source + dh)])
            }
            return Intervention(.attentionHeads(layer: layer), .replaceHead(
                heads: heads, value: Variable(constant: Tensor(shape: [rowHeads.count, dh], scalars: values))))
        }
    }

    /// P(target) at the last token of each of `indices`, in order.
    static func targetProbabilities(_ prompts: LastTokenPrompts, _ indices: [Int], interventions: [Intervention]) -> [Double] {
        targetProbabilities(prompts.run(indices, interventions: interventions).logits!.value, targets: indices.map { prompts.targets[$0] })
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

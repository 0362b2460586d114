// Shapes: x (T, D) hidden states of T new tokens after C cached ones; H heads, Hkv KV heads of Dh;
// F FFN dim; V vocab. A decoder block as the decoder composes the ops, checked end to end.
import Testing
@testable import Tensors

@Suite struct CompositionTests {
    struct Block {
        let d = 8, h = 2, hkv = 1, dh = 4, f = 12, v = 10, t = 3, cached = 2
        let norm1, norm2: Tensor  // (D)
        let wq: Tensor  // (H·Dh, D)
        let wk, wv: Tensor  // (Hkv·Dh, D)
        let wo: Tensor  // (D, H·Dh)
        let wGate, wUp: Tensor  // (F, D)
        let wDown: Tensor  // (D, F)
        let wOut: Tensor  // (V, D)
        let cachedKeys, cachedValues: Tensor  // (C, Hkv·Dh), keys already rotated
        let target: Tensor  // (T, H·Dh) head outputs to mix towards
        let rope: RotaryEmbedding

        init(seed: UInt64) {
            var rng = SplitMix64(seed: seed)
            norm1 = rng.normal([d], standardDeviation: 0.2)
            norm2 = rng.normal([d], standardDeviation: 0.2)
            wq = rng.normal([h * dh, d], standardDeviation: 0.4)
            wk = rng.normal([hkv * dh, d], standardDeviation: 0.4)
            wv = rng.normal([hkv * dh, d], standardDeviation: 0.4)
            wo = rng.normal([d, h * dh], standardDeviation: 0.4)
            wGate = rng.normal([f, d], standardDeviation: 0.4)
            wUp = rng.normal([f, d], standardDeviation: 0.4)
            wDown = rng.normal([d, f], standardDeviation: 0.3)
            wOut = rng.normal([v, d], standardDeviation: 0.5)
            cachedKeys = rng.normal([cached, hkv * dh])
            cachedValues = rng.normal([cached, hkv * dh])
            target = rng.normal([t, h * dh], standardDeviation: 3)
            rope = RotaryEmbedding(headDimensions: dh, inverseFrequencies: RotaryEmbedding.defaultFrequencies(headDimensions: dh, base: 100),
                                   pairing: .halves)
        }

        /// Cross-entropy of the last token's next-token prediction, with the attention heads mixed
        /// towards `target` by σ(alphaLogits) (SITE's intervention).
        func loss(_ tape: Tape, x: Variable, alphaLogits: Variable) -> Variable {
            func c(_ t: Tensor) -> Variable { Variable(constant: t) }
            let positions = (0..<t).map { cached + $0 }
            let h1 = tape.rmsNorm(x, weight: c(norm1), epsilon: 1e-6, offset: 1)
            let q = tape.rotary(tape.linear(h1, weight: c(wq)), rope, heads: h, positions: positions)
            let k = tape.rotary(tape.linear(h1, weight: c(wk)), rope, heads: hkv, positions: positions)
            let values = tape.linear(h1, weight: c(wv))
            let sequence = AttentionSequence(rows: 0..<t, keys: cachedKeys.scalars + k.value.scalars,
                                             values: cachedValues.scalars + values.value.scalars)
            let geometry = AttentionGeometry(heads: h, keyValueHeads: hkv, headDimensions: dh, scale: 0.5, window: 4)
            let heads = tape.attention(query: q, key: k, value: values, sequences: [sequence], geometry: geometry)
            let weights = tape.broadcastRows(tape.sigmoid(alphaLogits), count: t)
            let mixed = tape.mixHeads(heads, target: c(target), weights: weights)
            let residual = tape.add(x, tape.linear(mixed, weight: c(wo)))
            let h2 = tape.rmsNorm(residual, weight: c(norm2), epsilon: 1e-6, offset: 1)
            let mlp = tape.linear(tape.geGLU(gate: tape.linear(h2, weight: c(wGate)), up: tape.linear(h2, weight: c(wUp))),
                                  weight: c(wDown))
            let out = tape.add(residual, mlp)
            let logits = tape.linear(tape.rows(out, [t - 1]), weight: c(wOut))
            return tape.crossEntropy(logits: logits, targets: [3])
        }
    }

    @Test func decoderBlockGradientsOfHiddenStatesAndMixingLogits() {
        let block = Block(seed: 1300)
        var rng = SplitMix64(seed: 1301)
        let x = rng.normal([block.t, block.d]), alpha = rng.normal([1, block.h])
        expectGradientsMatch([x, alpha], names: ["x", "alpha logits"]) { tape, v in
            block.loss(tape, x: v[0], alphaLogits: v[1])
        }
    }

    @Test func onlyTheInterventionIsRecordedWhenHiddenStatesAreFrozen() {
        // The last-token optimisation step: x is a constant, alpha the only parameter.
        let block = Block(seed: 1302)
        var rng = SplitMix64(seed: 1303)
        let x = Variable(constant: rng.normal([block.t, block.d]))
        let alpha = rng.normal([1, block.h])
        expectGradientsMatch([alpha]) { tape, v in block.loss(tape, x: x, alphaLogits: v[0]) }
        let tape = Tape()
        _ = block.loss(tape, x: x, alphaLogits: tape.parameter(alpha))
        // parameter, sigmoid, broadcastRows, mixHeads, then the 11 ops after it: the 7 ops before
        // the attention output (norm, projections, rotary, attention) are not recorded.
        #expect(tape.nodeCount == 15)
    }
}

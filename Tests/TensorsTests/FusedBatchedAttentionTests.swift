// Shapes: qkv (B·T, 3·H·Dh) → (B·T, H·Dh).
import Foundation
import Testing
@testable import Tensors

@Suite struct FusedBatchedAttentionTests {
    /// The same attention through the general ragged op: q, k, v split out of qkv, one sequence
    /// per prompt with no cache.
    static func reference(_ qkv: Tensor, batch b: Int, tokens t: Int, heads h: Int) -> Tensor {
        let width = qkv.shape[1] / 3, dh = width / h
        var q = [Float](), k = [Float](), v = [Float]()
        for r in 0..<(b * t) {
            let row = qkv.row(r)
            q += row[0..<width]; k += row[width..<(2 * width)]; v += row[(2 * width)...]
        }
        let sequences = (0..<b).map { s in
            AttentionSequence(rows: (s * t)..<((s + 1) * t), keys: Array(k[(s * t * width)..<((s + 1) * t * width)]),
                              values: Array(v[(s * t * width)..<((s + 1) * t * width)]))
        }
        let geometry = AttentionGeometry(heads: h, keyValueHeads: h, headDimensions: dh, scale: 1 / Float(dh).squareRoot())
        func constant(_ x: [Float]) -> Variable { Variable(constant: Tensor(shape: [b * t, width], scalars: x)) }
        return Tape().attention(query: constant(q), key: constant(k), value: constant(v), sequences: sequences, geometry: geometry).value
    }

    @Test func forwardMatchesRaggedAttention() {
        var rng = SplitMix64(seed: 910)
        let (b, t, h, dh) = (3, 7, 2, 4)
        let qkv = rng.normal([b * t, 3 * h * dh])
        let fused = Tape().batchedCausalAttention(Variable(constant: qkv), batch: b, tokens: t, heads: h)
        let reference = Self.reference(qkv, batch: b, tokens: t, heads: h)
        #expect(fused.shape == [b * t, h * dh])
        #expect(maxAbsDifference(fused.value.scalars, reference.scalars.map(Double.init)) < 1e-5)
    }

    @Test func firstTokenSeesOnlyItself() {
        var rng = SplitMix64(seed: 911)
        let (b, t, h, dh) = (2, 4, 2, 3)
        let qkv = rng.normal([b * t, 3 * h * dh])
        let y = Tape().batchedCausalAttention(Variable(constant: qkv), batch: b, tokens: t, heads: h).value
        for s in 0..<b {
            // Row 0 of each prompt attends to itself alone: its output is its own v.
            let row = qkv.row(s * t)
            #expect(maxAbsDifference(y.row(s * t), row[(2 * h * dh)...].map(Double.init)) < 1e-6)
        }
    }

    @Test func gradientMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 912)
        let qkv = rng.normal([2 * 5, 3 * 2 * 3])
        expectGradientsMatch([qkv], names: ["qkv"]) { tape, inputs in
            tape.batchedCausalAttention(inputs[0], batch: 2, tokens: 5, heads: 2)
        }
    }
}

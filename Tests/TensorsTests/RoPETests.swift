// Shapes: x (N, H·Dh), one position per row; (Dh / 2) inverse frequencies.
import Foundation
import Testing
@testable import Tensors

@Suite struct RoPETests {
    static let positions = [0, 1, 5, 17, 1000]

    static func rope(_ pairing: RotaryPairing, headDimensions dh: Int = 8, factor: Float = 1) -> RotaryEmbedding {
        RotaryEmbedding(
            headDimensions: dh, inverseFrequencies: RotaryEmbedding.defaultFrequencies(headDimensions: dh, base: 10_000),
            pairing: pairing, attentionFactor: factor)
    }

    /// Hugging Face's form for `.halves`: y = x ⊙ [cos, cos] + rotate_half(x) ⊙ [sin, sin] with
    /// rotate_half(x) = [−x₂, x₁]; Meta's complex form for `.interleaved`: (x₂ᵢ + i x₂ᵢ₊₁) e^{iθ}.
    static func reference(_ x: Tensor, heads: Int, rope: RotaryEmbedding, positions: [Int]) -> [Double] {
        let dh = rope.headDimensions, half = dh / 2, factor = Double(rope.attentionFactor)
        var y = [Double](repeating: 0, count: x.count)
        for (r, p) in positions.enumerated() {
            for h in 0..<heads {
                let base = (r * heads + h) * dh
                let v = (0..<dh).map { Double(x.scalars[base + $0]) }
                switch rope.pairing {
                case .halves:
                    let cosines = (0..<dh).map { cos(Double(p) * Double(rope.inverseFrequencies[$0 % half])) * factor }
                    let sines = (0..<dh).map { sin(Double(p) * Double(rope.inverseFrequencies[$0 % half])) * factor }
                    let rotated = (0..<dh).map { $0 < half ? -v[$0 + half] : v[$0 - half] }
                    for j in 0..<dh { y[base + j] = v[j] * cosines[j] + rotated[j] * sines[j] }
                case .interleaved:
                    for i in 0..<half {
                        let angle = Double(p) * Double(rope.inverseFrequencies[i])
                        let (re, im) = (v[2 * i], v[2 * i + 1])
                        let (c, s) = (cos(angle) * factor, sin(angle) * factor)
                        y[base + 2 * i] = re * c - im * s
                        y[base + 2 * i + 1] = re * s + im * c
                    }
                }
            }
        }
        return y
    }

    static func rotated(_ x: Tensor, heads: Int, rope: RotaryEmbedding, positions: [Int], inverse: Bool = false) -> Tensor {
        var y = x
        y.scalars.withUnsafeMutableBufferPointer {
            rope.apply($0.baseAddress!, rows: positions.count, heads: heads, positions: positions, inverse: inverse)
        }
        return y
    }

    @Test func defaultFrequenciesAreBaseToTheMinusTwoIOverDh() {
        let frequencies = RotaryEmbedding.defaultFrequencies(headDimensions: 8, base: 10_000)
        let expected: [Float] = [1, 0.1, 0.01, 0.001]
        #expect(maxAbsDifference(frequencies, expected) < 1e-9)
        let gemma = RotaryEmbedding.defaultFrequencies(headDimensions: 4, base: 1_000_000)
        #expect(maxAbsDifference(gemma, [1, 0.001]) < 1e-9)
    }

    @Test(arguments: [RotaryPairing.halves, .interleaved], [Float(1), 0.75])
    func forwardMatchesDirectFormula(pairing: RotaryPairing, factor: Float) {
        var rng = SplitMix64(seed: 400)
        let heads = 3, rope = Self.rope(pairing, factor: factor)
        let x = rng.normal([Self.positions.count, heads * 8])
        let y = Tape().rotary(Variable(constant: x), rope, heads: heads, positions: Self.positions)
        #expect(y.shape == x.shape)
        let expected = Self.reference(x, heads: heads, rope: rope, positions: Self.positions)
        #expect(maxAbsDifference(y.value.scalars, expected) < 1e-5)
    }

    @Test func pairingsDifferOnlyByAPermutationOfEachHead() {
        // interleaved(x) = P⁻¹ halves(P x), with P gathering even dimensions first, then odd ones.
        var rng = SplitMix64(seed: 401)
        let heads = 2, dh = 8
        let x = rng.normal([Self.positions.count, heads * dh])
        var permuted = x
        for block in 0..<(x.count / dh) {
            for i in 0..<(dh / 2) {
                permuted.scalars[block * dh + i] = x.scalars[block * dh + 2 * i]
                permuted.scalars[block * dh + dh / 2 + i] = x.scalars[block * dh + 2 * i + 1]
            }
        }
        let interleaved = Self.rotated(x, heads: heads, rope: Self.rope(.interleaved), positions: Self.positions)
        let halves = Self.rotated(permuted, heads: heads, rope: Self.rope(.halves), positions: Self.positions)
        for block in 0..<(x.count / dh) {
            for i in 0..<(dh / 2) {
                #expect(interleaved.scalars[block * dh + 2 * i] == halves.scalars[block * dh + i])
                #expect(interleaved.scalars[block * dh + 2 * i + 1] == halves.scalars[block * dh + dh / 2 + i])
            }
        }
    }

    @Test(arguments: [RotaryPairing.halves, .interleaved])
    func inverseUndoesApply(pairing: RotaryPairing) {
        var rng = SplitMix64(seed: 402)
        let heads = 4, rope = Self.rope(pairing)
        let x = rng.normal([Self.positions.count, heads * 8])
        let y = Self.rotated(x, heads: heads, rope: rope, positions: Self.positions)
        #expect(maxAbsDifference(y.scalars, x.scalars) > 0.1)
        let back = Self.rotated(y, heads: heads, rope: rope, positions: Self.positions, inverse: true)
        #expect(maxAbsDifference(back.scalars, x.scalars) < 1e-5)
    }

    @Test(arguments: [RotaryPairing.halves, .interleaved])
    func positionZeroIsIdentityAndNormsArePreserved(pairing: RotaryPairing) {
        var rng = SplitMix64(seed: 403)
        let x = rng.normal([Self.positions.count, 8])
        let y = Self.rotated(x, heads: 1, rope: Self.rope(pairing), positions: Self.positions)
        #expect(y.row(0) == x.row(0))
        for r in 0..<Self.positions.count {
            let before = x.row(r).reduce(0) { $0 + Double($1) * Double($1) }
            let after = y.row(r).reduce(0) { $0 + Double($1) * Double($1) }
            #expect(abs(before - after) < 1e-5 * before)
        }
    }

    @Test(arguments: [RotaryPairing.halves, .interleaved])
    func scoresDependOnlyOnRelativePosition(pairing: RotaryPairing) {
        // ⟨R_m q, R_n k⟩ = ⟨R_{m+s} q, R_{n+s} k⟩: what makes RoPE relative.
        var rng = SplitMix64(seed: 404)
        let q = rng.normal([1, 8]), k = rng.normal([1, 8]), rope = Self.rope(pairing)
        func score(_ m: Int, _ n: Int) -> Double {
            let a = Self.rotated(q, heads: 1, rope: rope, positions: [m]), b = Self.rotated(k, heads: 1, rope: rope, positions: [n])
            return zip(a.scalars, b.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        #expect(abs(score(7, 3) - score(27, 23)) < 1e-4)
        #expect(abs(score(7, 3) - score(4, 0)) < 1e-4)
        #expect(abs(score(7, 3) - score(3, 7)) > 1e-3)
    }

    @Test(arguments: [RotaryPairing.halves, .interleaved], [Float(1), 0.75])
    func gradient(pairing: RotaryPairing, factor: Float) {
        // With a factor ≠ 1 the backward must be the transpose (factor · R(−θ)), not the inverse.
        var rng = SplitMix64(seed: 410)
        let heads = 2, positions = [3, 0, 11]
        let x = rng.normal([positions.count, heads * 6])
        let rope = Self.rope(pairing, headDimensions: 6, factor: factor)
        expectGradientsMatch([x]) { tape, v in tape.rotary(v[0], rope, heads: heads, positions: positions) }
    }
}

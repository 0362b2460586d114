// Shapes: heads and target (R, H·Dh), weights (R, H) → (R, H·Dh).
import Testing
@testable import Tensors

@Suite struct HeadMixTests {
    @Test func forwardMixesEachHeadWithItsWeight() {
        var rng = SplitMix64(seed: 700)
        let rows = 3, h = 4, dh = 5
        let a = rng.normal([rows, h * dh]), t = rng.normal([rows, h * dh]), w = rng.uniform([rows, h], in: 0...1)
        let y = Tape().mixHeads(Variable(constant: a), target: Variable(constant: t), weights: Variable(constant: w))
        #expect(y.shape == [rows, h * dh])
        var expected = [Double](repeating: 0, count: a.count)
        for r in 0..<rows {
            for head in 0..<h {
                let alpha = Double(w.scalars[r * h + head])
                for d in 0..<dh {
                    let i = r * h * dh + head * dh + d
                    expected[i] = (1 - alpha) * Double(a.scalars[i]) + alpha * Double(t.scalars[i])
                }
            }
        }
        #expect(maxAbsDifference(y.value.scalars, expected) < 1e-6)
    }

    @Test func weightsZeroAndOneSelectTheEnds() {
        var rng = SplitMix64(seed: 701)
        let a = rng.normal([2, 6]), t = rng.normal([2, 6])
        // Row 0 keeps head 0 and replaces head 1; row 1 the other way round (H 2, Dh 3).
        let w = Tensor(shape: [2, 2], scalars: [0, 1, 1, 0])
        let y = Tape().mixHeads(Variable(constant: a), target: Variable(constant: t), weights: Variable(constant: w)).value
        #expect(Array(y.scalars[0..<3]) == Array(a.scalars[0..<3]))
        #expect(Array(y.scalars[3..<6]) == Array(t.scalars[3..<6]))
        #expect(Array(y.scalars[6..<9]) == Array(t.scalars[6..<9]))
        #expect(Array(y.scalars[9..<12]) == Array(a.scalars[9..<12]))
    }

    @Test func gradientsOfHeadsTargetAndWeights() {
        var rng = SplitMix64(seed: 710)
        let a = rng.normal([2, 3 * 4]), t = rng.normal([2, 3 * 4]), w = rng.uniform([2, 3], in: 0...1)
        expectGradientsMatch([a, t, w], names: ["heads", "target", "weights"]) { tape, v in
            tape.mixHeads(v[0], target: v[1], weights: v[2])
        }
    }

    @Test func gradientOfWeightsThroughSigmoidWithFrozenHeads() {
        // SITE's setting: frozen activations and target, alpha = σ(logits) trained.
        var rng = SplitMix64(seed: 711)
        let a = Variable(constant: rng.normal([1, 4 * 2])), t = Variable(constant: rng.normal([1, 4 * 2]))
        expectGradientsMatch([rng.normal([1, 4])]) { tape, v in tape.mixHeads(a, target: t, weights: tape.sigmoid(v[0])) }
    }
}

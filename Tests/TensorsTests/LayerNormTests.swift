// Shapes: x (N, C), weight and bias (C) → (N, C).
import Foundation
import Testing
@testable import Tensors

@Suite struct LayerNormTests {
    /// (x − mean) / sqrt(var + eps) ⊙ w + b with the biased variance, in Double.
    static func reference(_ x: Tensor, _ w: Tensor, _ b: Tensor, epsilon: Double) -> [Double] {
        let c = w.count, n = x.count / c
        var y = [Double](repeating: 0, count: x.count)
        for r in 0..<n {
            let row = (0..<c).map { Double(x.scalars[r * c + $0]) }
            let mean = row.reduce(0, +) / Double(c)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(c)
            for j in 0..<c {
                y[r * c + j] = (row[j] - mean) / (variance + epsilon).squareRoot() * Double(w.scalars[j]) + Double(b.scalars[j])
            }
        }
        return y
    }

    @Test func forwardMatchesFormula() {
        var rng = SplitMix64(seed: 300)
        // A shifted input: the mean must really be removed.
        var x = rng.normal([5, 8], standardDeviation: 2)
        x = x.map { $0 + 4 }
        let w = rng.normal([8]), b = rng.normal([8])
        let y = Tape().layerNorm(Variable(constant: x), weight: Variable(constant: w), bias: Variable(constant: b), epsilon: 1e-5)
        #expect(y.shape == [5, 8])
        #expect(maxAbsDifference(y.value.scalars, Self.reference(x, w, b, epsilon: 1e-5)) < 2e-5)
    }

    @Test func unitWeightZeroBiasGivesZeroMeanUnitVariance() {
        var rng = SplitMix64(seed: 301)
        let x = rng.normal([3, 16], standardDeviation: 5)
        let y = Tape().layerNorm(Variable(constant: x), weight: Variable(constant: Tensor(shape: [16], repeating: 1)),
                                 bias: Variable(constant: Tensor.zeros([16])), epsilon: 0)
        for r in 0..<3 {
            let row = y.value.row(r).map(Double.init)
            let mean = row.reduce(0, +) / 16
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 16
            #expect(abs(mean) < 1e-6 && abs(variance - 1) < 1e-5, "row \(r): mean \(mean), variance \(variance)")
        }
    }

    @Test func gradientsOfInputWeightAndBias() {
        var rng = SplitMix64(seed: 310)
        let x = rng.normal([3, 7]), w = rng.normal([7]), b = rng.normal([7])
        expectGradientsMatch([x, w, b], names: ["x", "weight", "bias"]) { tape, v in
            tape.layerNorm(v[0], weight: v[1], bias: v[2])
        }
    }

    @Test func gradientWithConstantWeightAndBias() {
        var rng = SplitMix64(seed: 311)
        let x = rng.normal([2, 2, 5])
        let w = Variable(constant: rng.normal([5])), b = Variable(constant: rng.normal([5]))
        expectGradientsMatch([x]) { tape, v in tape.layerNorm(v[0], weight: w, bias: b) }
    }

    @Test func gradientsWithConstantInput() {
        var rng = SplitMix64(seed: 312)
        let x = Variable(constant: rng.normal([4, 6])), w = rng.normal([6]), b = rng.normal([6])
        expectGradientsMatch([w, b], names: ["weight", "bias"]) { tape, v in tape.layerNorm(x, weight: v[0], bias: v[1]) }
    }
}

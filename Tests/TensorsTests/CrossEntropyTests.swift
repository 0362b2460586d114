// Shapes: logits (R, V), targets (R) → per-row losses (R); log softmax (R, V).
import Foundation
import Testing
@testable import Tensors

@Suite struct CrossEntropyTests {
    /// log Σ_j e^{x_j}, computed around the maximum in Double.
    static func logSumExp(_ row: [Float]) -> Double {
        let m = Double(row.max()!)
        return m + log(row.reduce(0) { $0 + exp(Double($1) - m) })
    }

    @Test func logSoftmaxMatchesLogSumExp() {
        var rng = SplitMix64(seed: 900)
        let x = rng.normal([3, 7], standardDeviation: 4)
        let y = Tape().logSoftmax(Variable(constant: x))
        #expect(y.shape == [3, 7])
        var expected = [Double]()
        for r in 0..<3 {
            let lse = Self.logSumExp(x.row(r))
            expected += x.row(r).map { Double($0) - lse }
        }
        #expect(maxAbsDifference(y.value.scalars, expected) < 2e-6)
        // Each row is a log-distribution.
        for r in 0..<3 { #expect(abs(y.value.row(r).reduce(0) { $0 + exp(Double($1)) } - 1) < 1e-6) }
    }

    @Test func crossEntropyMatchesLogSumExpByHand() {
        var rng = SplitMix64(seed: 901)
        let x = rng.normal([4, 9], standardDeviation: 3), targets = [0, 8, 3, 3]
        let losses = Tape().crossEntropy(logits: Variable(constant: x), targets: targets)
        #expect(losses.shape == [4])
        let expected = (0..<4).map { Self.logSumExp(x.row($0)) - Double(x.scalars[$0 * 9 + targets[$0]]) }
        #expect(maxAbsDifference(losses.value.scalars, expected) < 2e-6)
    }

    @Test func crossEntropyOfKnownLogits() {
        // Uniform logits over V = 4: loss log 4. Logits (0, ln 3): p(target 1) = 3/4.
        let uniform = Tape().crossEntropy(logits: Variable(constant: Tensor(shape: [1, 4], repeating: 2)), targets: [3])
        #expect(abs(Double(uniform.value.scalars[0]) - log(4)) < 1e-6)
        let twoWay = Tensor(shape: [1, 2], scalars: [0, Float(log(3.0))])
        #expect(abs(Double(Tape().crossEntropy(logits: Variable(constant: twoWay), targets: [1]).value.scalars[0]) - log(4.0 / 3)) < 1e-6)
    }

    @Test func largeLogitsStayFinite() {
        let x = Tensor(shape: [2, 3], scalars: [1000, 999, -1000, -1e4, 0, 1e4])
        let losses = Tape().crossEntropy(logits: Variable(constant: x), targets: [1, 0]).value.scalars
        #expect(abs(Double(losses[0]) - (Self.logSumExp([1000, 999, -1000]) - 999)) < 1e-3)
        #expect(losses[1] == 2e4)
        let logProbabilities = Tape().logSoftmax(Variable(constant: x)).value.scalars
        #expect(logProbabilities.filter { !$0.isFinite }.isEmpty, "\(logProbabilities)")
    }

    @Test func logSoftmaxGradient() {
        var rng = SplitMix64(seed: 910)
        expectGradientsMatch([rng.normal([3, 6], standardDeviation: 2)]) { tape, v in tape.logSoftmax(v[0]) }
    }

    @Test func crossEntropyGradient() {
        var rng = SplitMix64(seed: 911)
        let x = rng.normal([4, 5], standardDeviation: 2)
        expectGradientsMatch([x]) { tape, v in tape.crossEntropy(logits: v[0], targets: [4, 0, 2, 4]) }
        // Of the mean loss, as a training step uses it.
        expectGradientsMatch([x]) { tape, v in tape.mean(tape.crossEntropy(logits: v[0], targets: [1, 1, 3, 0])) }
    }

    @Test func crossEntropyGradientIsSoftmaxMinusOneHot() {
        let x = Tensor(shape: [1, 3], scalars: [1, 2, 3])
        let tape = Tape()
        let p = tape.parameter(x)
        let g = tape.gradients(of: tape.sum(tape.crossEntropy(logits: p, targets: [0])))[p]
        let total = exp(1.0) + exp(2.0) + exp(3.0)
        let expected = [exp(1.0) / total - 1, exp(2.0) / total, exp(3.0) / total]
        #expect(maxAbsDifference(g.scalars, expected) < 1e-6)
    }
}

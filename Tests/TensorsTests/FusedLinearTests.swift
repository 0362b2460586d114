// Shapes: x (N, I), weight (O, I), bias (O) → (N, O).
import Foundation
import Testing
@testable import Tensors

@Suite struct FusedLinearTests {
    @Test func matchesLinearWithBias() {
        var rng = SplitMix64(seed: 930)
        let x = rng.normal([2, 5, 7]), w = rng.normal([6, 7]), b = rng.normal([6])
        let fused = Tape().linearWithBias(Variable(constant: x), weight: Variable(constant: w), bias: Variable(constant: b))
        let plain = Tape().linear(Variable(constant: x), weight: Variable(constant: w), bias: Variable(constant: b))
        #expect(fused.shape == [2, 5, 6])
        #expect(maxAbsDifference(fused.value.scalars, plain.value.scalars) < 1e-5)
    }

    @Test func gradientMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 931)
        let x = rng.normal([4, 5]), w = rng.normal([3, 5]), b = rng.normal([3])
        expectGradientsMatch([x, w, b], names: ["x", "weight", "bias"]) { tape, inputs in
            tape.linearWithBias(inputs[0], weight: inputs[1], bias: inputs[2])
        }
    }

    @Test func onlyTrackedInputsGetGradients() {
        var rng = SplitMix64(seed: 932)
        let x = rng.normal([4, 5]), w = rng.normal([3, 5]), b = rng.normal([3])
        let tape = Tape()
        let weight = tape.parameter(w)
        let y = tape.linearWithBias(Variable(constant: x), weight: weight, bias: Variable(constant: b))
        let gradient = tape.gradients(of: tape.sum(y))[weight]
        // d Σy / dw[o][i] = Σ_n x[n][i] for every output o.
        for o in 0..<3 {
            for i in 0..<5 {
                let expected = (0..<4).reduce(Float(0)) { $0 + x.scalars[$1 * 5 + i] }
                #expect(abs(gradient.scalars[o * 5 + i] - expected) < 1e-5)
            }
        }
        #expect(!tape.linearWithBias(Variable(constant: x), weight: Variable(constant: w), bias: Variable(constant: b)).requiresGradient)
    }
}

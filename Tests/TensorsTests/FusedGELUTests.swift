// Shapes: any; elementwise.
import Foundation
import Testing
@testable import Tensors

@Suite struct FusedGELUTests {
    @Test func matchesScalarGELUAcrossTheRange() {
        // 4001 points in [−20, 20]: not a multiple of 8, so the tail path runs too.
        let xs = (0...4000).map { Float($0 - 2000) / 100 }
        let y = Tape().geluTanhFused(Variable(constant: Tensor(shape: [xs.count], scalars: xs))).value
        let reference = xs.map { x -> Double in
            let inner = 0.7978845608028654 * (Double(x) + 0.044715 * Double(x) * Double(x) * Double(x))
            return 0.5 * Double(x) * (1 + tanh(inner))
        }
        var worst = 0.0
        for i in xs.indices { worst = max(worst, abs(Double(y.scalars[i]) - reference[i]) / max(1, abs(reference[i]))) }
        #expect(worst < 2e-6, "largest error \(worst)")
        #expect(y.scalars.allSatisfy { $0.isFinite })
    }

    @Test func extremeInputsSaturate() {
        let y = Tape().geluTanhFused(Variable(constant: Tensor(shape: [4], scalars: [-1e4, -100, 100, 1e4]))).value
        #expect(y.scalars == [0, 0, 100, 1e4])
    }

    @Test func gradientMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 920)
        let x = rng.normal([3, 11], standardDeviation: 2)
        expectGradientsMatch([x], names: ["x"]) { tape, inputs in tape.geluTanhFused(inputs[0]) }
    }

    @Test func gradientMatchesUnfusedOp() {
        var rng = SplitMix64(seed: 921)
        let x = rng.normal([5, 13], standardDeviation: 3)
        func gradient(_ op: (Tape, Variable) -> Variable) -> Tensor {
            let tape = Tape()
            let p = tape.parameter(x)
            return tape.gradients(of: tape.sum(op(tape, p)))[p]
        }
        let fused = gradient { $0.geluTanhFused($1) }, plain = gradient { $0.geluTanh($1) }
        #expect(maxAbsDifference(fused.scalars, plain.scalars.map(Double.init)) < 1e-5)
    }
}

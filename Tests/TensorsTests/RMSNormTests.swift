// Shapes: x (N, C), weight (C) → (N, C).
import Foundation
import Testing
@testable import Tensors

@Suite struct RMSNormTests {
    /// y = x / sqrt(mean(x²) + eps) ⊙ (w + offset), in Double.
    static func reference(_ x: Tensor, _ w: Tensor, epsilon: Double, offset: Double) -> [Double] {
        let c = w.count, n = x.count / c
        var y = [Double](repeating: 0, count: x.count)
        for r in 0..<n {
            let row = (0..<c).map { Double(x.scalars[r * c + $0]) }
            let rms = (row.reduce(0) { $0 + $1 * $1 } / Double(c) + epsilon).squareRoot()
            for j in 0..<c { y[r * c + j] = row[j] / rms * (Double(w.scalars[j]) + offset) }
        }
        return y
    }

    @Test(arguments: [Float(0), 1])
    func forwardMatchesFormula(offset: Float) {
        var rng = SplitMix64(seed: 200)
        let x = rng.normal([4, 9], standardDeviation: 3), w = rng.normal([9])
        let y = Tape().rmsNorm(Variable(constant: x), weight: Variable(constant: w), epsilon: 1e-6, offset: offset)
        #expect(y.shape == [4, 9])
        #expect(maxAbsDifference(y.value.scalars, Self.reference(x, w, epsilon: 1e-6, offset: Double(offset))) < 1e-5)
    }

    @Test func epsilonMattersForSmallRows() {
        // A row of 1e-3s: mean(x²) = 1e-6, so eps = 1e-6 halves the squared norm's inverse.
        let x = Tensor(shape: [1, 4], repeating: 1e-3), w = Tensor(shape: [4], repeating: 1)
        let y = Tape().rmsNorm(Variable(constant: x), weight: Variable(constant: w), epsilon: 1e-6)
        for value in y.value.scalars { #expect(abs(value - Float(1 / 2.0.squareRoot())) < 1e-5) }
    }

    @Test func forwardOfHigherRankInput() {
        var rng = SplitMix64(seed: 201)
        let x = rng.normal([2, 3, 5]), w = rng.normal([5])
        let y = Tape().rmsNorm(Variable(constant: x), weight: Variable(constant: w), epsilon: 1e-5)
        #expect(y.shape == [2, 3, 5])
        #expect(maxAbsDifference(y.value.scalars, Self.reference(x, w, epsilon: 1e-5, offset: 0)) < 1e-5)
    }

    @Test(arguments: [Float(0), 1])
    func gradientsOfInputAndWeight(offset: Float) {
        var rng = SplitMix64(seed: 210)
        let x = rng.normal([3, 6]), w = rng.normal([6])
        expectGradientsMatch([x, w], names: ["x", "weight"]) { tape, v in
            tape.rmsNorm(v[0], weight: v[1], epsilon: 1e-5, offset: offset)
        }
    }

    @Test func gradientWithConstantWeight() {
        var rng = SplitMix64(seed: 211)
        let x = rng.normal([4, 5]), w = Variable(constant: rng.normal([5]))
        expectGradientsMatch([x]) { tape, v in tape.rmsNorm(v[0], weight: w, epsilon: 1e-6, offset: 1) }
    }

    @Test func gradientWithConstantInput() {
        var rng = SplitMix64(seed: 212)
        let x = Variable(constant: rng.normal([4, 5])), w = rng.normal([5])
        expectGradientsMatch([w]) { tape, v in tape.rmsNorm(x, weight: v[0], epsilon: 1e-6) }
    }
}

@Suite struct RMSNormKernelTests {
    @Test func backwardAccumulatesIntoItsOutputs() {
        var rng = SplitMix64(seed: 220)
        let n = 2, c = 5
        let x = rng.normal([n, c]).scalars, w = rng.normal([c]).scalars, dy = rng.normal([n, c]).scalars
        var y = [Float](repeating: 0, count: n * c), rstd = [Float](repeating: 0, count: n)
        rmsNormForward(&y, rstd: &rstd, x, w, rows: n, columns: c, epsilon: 1e-6, offset: 1)
        var fresh = (dx: [Float](repeating: 0, count: n * c), dw: [Float](repeating: 0, count: c))
        var primed = (dx: [Float](repeating: 2, count: n * c), dw: [Float](repeating: -3, count: c))
        rmsNormBackward(dx: &fresh.dx, dw: &fresh.dw, dy: dy, x: x, w: w, rstd: rstd, rows: n, columns: c, offset: 1)
        rmsNormBackward(dx: &primed.dx, dw: &primed.dw, dy: dy, x: x, w: w, rstd: rstd, rows: n, columns: c, offset: 1)
        #expect(maxAbsDifference(primed.dx, fresh.dx.map { $0 + 2 }) < 1e-6)
        #expect(maxAbsDifference(primed.dw, fresh.dw.map { $0 - 3 }) < 1e-6)
        // rstd is the reciprocal RMS of each row.
        for r in 0..<n {
            let meanSquare = (0..<c).reduce(0.0) { $0 + Double(x[r * c + $1]) * Double(x[r * c + $1]) } / Double(c)
            #expect(abs(Double(rstd[r]) - 1 / (meanSquare + 1e-6).squareRoot()) < 1e-5)
        }
    }
}

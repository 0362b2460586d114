// Shapes: x (N, I) or (B, T, I), weight (O, I), bias (O) → (N, O).
import Testing
@testable import Tensors

@Suite struct LinearTests {
    /// (N, I, O): square, wide, tall, a single row, a single output.
    static let shapes: [(n: Int, i: Int, o: Int)] = [(4, 4, 4), (3, 7, 2), (5, 2, 9), (1, 16, 5), (6, 3, 1), (17, 33, 19)]

    @Test(arguments: 0..<shapes.count)
    func forwardMatchesNaive(shapeIndex: Int) {
        let (n, i, o) = Self.shapes[shapeIndex]
        var rng = SplitMix64(seed: UInt64(100 + shapeIndex))
        let x = rng.normal([n, i]), w = rng.normal([o, i]), b = rng.normal([o])
        let tape = Tape()
        let y = tape.linear(Variable(constant: x), weight: Variable(constant: w))
        #expect(y.shape == [n, o])
        let naive = linearForwardNaive(x.scalars, w.scalars, rows: n, inputs: i, outputs: o)
        #expect(maxAbsDifference(y.value.scalars, naive) < 1e-5)
        // The naive loop itself against a Double triple loop, so the reference is not trusted blindly.
        for r in 0..<n {
            for c in 0..<o {
                var s = 0.0
                for k in 0..<i { s += Double(x.scalars[r * i + k]) * Double(w.scalars[c * i + k]) }
                #expect(abs(Double(naive[r * o + c]) - s) < 1e-5)
            }
        }
        let withBias = tape.linear(Variable(constant: x), weight: Variable(constant: w), bias: Variable(constant: b))
        var expected = naive
        for r in 0..<n { for c in 0..<o { expected[r * o + c] += b.scalars[c] } }
        #expect(maxAbsDifference(withBias.value.scalars, expected) < 1e-5)
    }

    @Test func forwardKeepsLeadingDimensions() {
        var rng = SplitMix64(seed: 110)
        let x = rng.normal([2, 3, 5]), w = rng.normal([4, 5])
        let y = Tape().linear(Variable(constant: x), weight: Variable(constant: w))
        #expect(y.shape == [2, 3, 4])
        #expect(maxAbsDifference(y.value.scalars, linearForwardNaive(x.scalars, w.scalars, rows: 6, inputs: 5, outputs: 4)) < 1e-5)
    }

    @Test func gradientsOfInputWeightAndBias() {
        var rng = SplitMix64(seed: 120)
        let x = rng.normal([3, 5]), w = rng.normal([4, 5]), b = rng.normal([4])
        expectGradientsMatch([x, w, b], names: ["x", "weight", "bias"]) { tape, v in
            tape.linear(v[0], weight: v[1], bias: v[2])
        }
        expectGradientsMatch([x, w], names: ["x", "weight"]) { tape, v in tape.linear(v[0], weight: v[1]) }
    }

    @Test func gradientsWithConstantWeight() {
        // Inference weights are constants: only x (and an intervention bias) are parameters.
        var rng = SplitMix64(seed: 121)
        let x = rng.normal([2, 3, 6]), w = Variable(constant: rng.normal([5, 6])), b = rng.normal([5])
        expectGradientsMatch([x]) { tape, v in tape.linear(v[0], weight: w) }
        expectGradientsMatch([x, b], names: ["x", "bias"]) { tape, v in tape.linear(v[0], weight: w, bias: v[1]) }
    }

    @Test func gradientsWithConstantInput() {
        var rng = SplitMix64(seed: 122)
        let x = Variable(constant: rng.normal([7, 3])), w = rng.normal([2, 3]), b = rng.normal([2])
        expectGradientsMatch([w]) { tape, v in tape.linear(x, weight: v[0]) }
        expectGradientsMatch([b]) { tape, v in tape.linear(x, weight: Variable(constant: w), bias: v[0]) }
    }
}

@Suite struct LinearKernelTests {
    @Test func backwardAccumulatesIntoItsOutputs() {
        // linearBackward adds to dx and dw (documented "+="); the tape relies on zeroed buffers.
        var rng = SplitMix64(seed: 130)
        let n = 3, i = 4, o = 2
        let x = rng.normal([n, i]).scalars, w = rng.normal([o, i]).scalars, dy = rng.normal([n, o]).scalars
        var dx = [Float](repeating: 1, count: n * i), dw = [Float](repeating: -1, count: o * i)
        dx.withUnsafeMutableBufferPointer { dxp in
            dw.withUnsafeMutableBufferPointer { dwp in
                linearBackward(dx: dxp.baseAddress!, dw: dwp.baseAddress!, dy: dy, x: x, w: w, rows: n, inputs: i, outputs: o)
            }
        }
        for r in 0..<n {
            for k in 0..<i {
                var s = 0.0
                for c in 0..<o { s += Double(dy[r * o + c]) * Double(w[c * i + k]) }
                #expect(abs(Double(dx[r * i + k]) - (1 + s)) < 1e-5)
            }
        }
        for c in 0..<o {
            for k in 0..<i {
                var s = 0.0
                for r in 0..<n { s += Double(dy[r * o + c]) * Double(x[r * i + k]) }
                #expect(abs(Double(dw[c * i + k]) - (s - 1)) < 1e-5)
            }
        }
    }
}

// Shapes: x (N, C); selected or replaced rows (R, C); a broadcast row (1, C) → (R, C); stacked
// blocks (R_i, C) → (Σ R_i, C).
import Testing
@testable import Tensors

@Suite struct RowsTests {
    @Test func rowsSelectsInTheGivenOrder() {
        let x = Tensor(shape: [3, 2], scalars: [0, 1, 10, 11, 20, 21])
        let y = Tape().rows(Variable(constant: x), [2, 0, 2])
        #expect(y.shape == [3, 2])
        #expect(y.value.scalars == [20, 21, 0, 1, 20, 21])
        #expect(Tape().rows(Variable(constant: x), []).shape == [0, 2])
    }

    @Test func rowsGradientScattersAndAccumulatesRepeatedRows() {
        var rng = SplitMix64(seed: 600)
        let x = rng.normal([5, 4])
        expectGradientsMatch([x]) { tape, v in tape.rows(v[0], [4, 1, 4, 0]) }
        // Exact values: row 4 picked twice receives both rows of dy; row 2 and 3 receive nothing.
        let tape = Tape()
        let p = tape.parameter(x)
        let g = tape.gradients(of: tape.sum(tape.rows(p, [4, 1, 4])))[p]
        #expect(g.row(4) == [2, 2, 2, 2] && g.row(1) == [1, 1, 1, 1])
        #expect(g.row(0) == [0, 0, 0, 0] && g.row(2) == [0, 0, 0, 0] && g.row(3) == [0, 0, 0, 0])
    }

    @Test func replacingRowsForward() {
        let x = Tensor(shape: [3, 2], scalars: [0, 1, 10, 11, 20, 21])
        let r = Tensor(shape: [2, 2], scalars: [-1, -2, -3, -4])
        let y = Tape().replacingRows(Variable(constant: x), [2, 0], with: Variable(constant: r))
        #expect(y.value == Tensor(shape: [3, 2], scalars: [-3, -4, 10, 11, -1, -2]))
    }

    @Test func replacingRowsGradients() {
        var rng = SplitMix64(seed: 601)
        let x = rng.normal([5, 3]), r = rng.normal([2, 3])
        expectGradientsMatch([x, r], names: ["x", "replacement"]) { tape, v in tape.replacingRows(v[0], [3, 1], with: v[1]) }
        // The replaced rows of x get no gradient.
        let tape = Tape()
        let px = tape.parameter(x), pr = tape.parameter(r)
        let gradients = tape.gradients(of: tape.sum(tape.replacingRows(px, [3, 1], with: pr)))
        #expect(gradients[px].row(3) == [0, 0, 0] && gradients[px].row(1) == [0, 0, 0] && gradients[px].row(0) == [1, 1, 1])
        #expect(gradients[pr] == Tensor(shape: [2, 3], repeating: 1))
    }

    @Test func replacingRowsWithAConstantBase() {
        // The usual intervention: frozen activations, a trainable replacement.
        var rng = SplitMix64(seed: 602)
        let base = Variable(constant: rng.normal([4, 3])), r = rng.normal([1, 3])
        expectGradientsMatch([r]) { tape, v in tape.replacingRows(base, [3], with: v[0]) }
    }

    @Test func broadcastRowsForwardAndGradient() {
        let v = Tensor(shape: [1, 3], scalars: [1, 2, 3])
        let y = Tape().broadcastRows(Variable(constant: v), count: 2)
        #expect(y.value == Tensor(shape: [2, 3], scalars: [1, 2, 3, 1, 2, 3]))
        var rng = SplitMix64(seed: 603)
        expectGradientsMatch([rng.normal([1, 5])]) { tape, x in tape.broadcastRows(x[0], count: 4) }
    }

    @Test func stackRowsPutsBlocksInOrderAndSplitsTheGradient() {
        let tape = Tape()
        let a = tape.parameter(Tensor(shape: [1, 3], scalars: [1, 2, 3]))
        let b = tape.parameter(Tensor(shape: [2, 3], scalars: [4, 5, 6, 7, 8, 9]))
        let stacked = tape.stackRows([a, b])
        #expect(stacked.shape == [3, 3] && stacked.value.scalars == (1...9).map(Float.init))
        let weights = Variable(constant: Tensor(shape: [3, 3], scalars: (0..<9).map { Float($0) * 0.5 }))
        let gradients = tape.gradients(of: tape.sum(tape.multiply(stacked, weights)))
        #expect(gradients[a].scalars == [0, 0.5, 1])
        #expect(gradients[b].scalars == [1.5, 2, 2.5, 3, 3.5, 4])
    }

    @Test func stackRowsGradients() {
        var rng = SplitMix64(seed: 604)
        let a = rng.normal([2, 4]), b = rng.normal([1, 4]), c = rng.normal([3, 4])
        expectGradientsMatch([a, b, c], names: ["a", "b", "c"]) { tape, v in tape.stackRows(v) }
        // One block is returned as it is.
        expectGradientsMatch([a]) { tape, v in tape.stackRows(v) }
    }
}

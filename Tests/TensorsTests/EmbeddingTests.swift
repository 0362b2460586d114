// Shapes: table (V, D), ids (N) → (N, D).
import Testing
@testable import Tensors

@Suite struct EmbeddingTests {
    @Test func forwardGathersAndScalesRows() {
        let table = Tensor(shape: [3, 2], scalars: [0, 1, 10, 11, 20, 21])
        let y = Tape().embedding(Variable(constant: table), ids: [2, 0, 2], scale: 0.5)
        #expect(y.shape == [3, 2])
        #expect(y.value.scalars == [10, 10.5, 0, 0.5, 10, 10.5])
        #expect(Tape().embedding(Variable(constant: table), ids: [1]).value.scalars == [10, 11])
    }

    @Test(arguments: [Float(1), 3.5])
    func tableGradientWithRepeatedIds(scale: Float) {
        var rng = SplitMix64(seed: 800)
        let table = rng.normal([6, 4])
        expectGradientsMatch([table]) { tape, v in tape.embedding(v[0], ids: [5, 0, 5, 2, 5], scale: scale) }
        // Exact: id 5 three times, ids 1, 3, 4 never.
        let tape = Tape()
        let p = tape.parameter(table)
        let g = tape.gradients(of: tape.sum(tape.embedding(p, ids: [5, 0, 5, 2, 5], scale: scale)))[p]
        #expect(g.row(5) == [Float](repeating: 3 * scale, count: 4))
        #expect(g.row(0) == [Float](repeating: scale, count: 4))
        #expect(g.row(1) == [0, 0, 0, 0] && g.row(3) == [0, 0, 0, 0] && g.row(4) == [0, 0, 0, 0])
    }
}

// Shapes: x (N, C) with N·C above ParallelOutputs.elementwiseThreshold, so each pass below is split
// over the kernel pool; each is checked bit for bit against the same op on single rows, which
// stay on one thread.
import Testing
@testable import Tensors

@Suite struct ParallelPassesTests {
    static let rows = 300, columns = 256

    static func inputs(_ count: Int, seed: UInt64) -> [Tensor] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in random.normal([rows, columns], standardDeviation: 2) }
    }

    /// Row r of t as a (1, C) tensor.
    static func row(_ t: Tensor, _ r: Int) -> Tensor {
        Tensor(shape: [1, columns], scalars: Array(t.scalars[(r * columns)..<((r + 1) * columns)]))
    }

    /// `op` on the whole (N, C) inputs equals `op` row by row, concatenated.
    static func expectSplitInvariant(_ x: [Tensor], _ op: (Tape, [Variable]) -> Variable) {
        #expect(rows * columns >= ParallelOutputs.elementwiseThreshold && columns < ParallelOutputs.elementwiseThreshold)
        let whole = op(Tape(), x.map { Variable(constant: $0) }).value
        let byRow = (0..<rows).flatMap { r in op(Tape(), x.map { Variable(constant: row($0, r)) }).value.scalars }
        #expect(whole.shape == [rows, columns])
        #expect(differing(whole.scalars, byRow) == 0)
    }

    /// Elements that differ (any bit), so a failure prints a count rather than 76,800 values.
    static func differing(_ a: [Float], _ b: [Float]) -> Int {
        a.count != b.count ? max(a.count, b.count) : zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
    }

    @Test func addRMSNormAndGLUsEqualTheirRowByRowResults() {
        let x = Self.inputs(3, seed: 41)
        Self.expectSplitInvariant(x) { tape, v in tape.add(v[0], v[1]) }
        Self.expectSplitInvariant(x) { tape, v in tape.rmsNorm(v[0], weight: Variable(constant: Self.row(x[2], 0).reshaped([Self.columns])), epsilon: 1e-6, offset: 1) }
        Self.expectSplitInvariant(x) { tape, v in tape.swiGLU(gate: v[0], up: v[1]) }
        Self.expectSplitInvariant(x) { tape, v in tape.geGLU(gate: v[0], up: v[1]) }
        // The sum is exact too: a + b elementwise.
        let sum = Tape().add(Variable(constant: x[0]), Variable(constant: x[1])).value.scalars
        #expect(Self.differing(sum, zip(x[0].scalars, x[1].scalars).map { $0 + $1 }) == 0)
    }

    /// GeGLU's fused inference pass equals the training pass (gelu kept for the backward, then the
    /// product), element for element.
    @Test func fusedGeGLUEqualsTheTrainingPass() {
        let x = Self.inputs(2, seed: 42)
        let fused = Tape().geGLU(gate: Variable(constant: x[0]), up: Variable(constant: x[1])).value
        let tape = Tape()
        let training = tape.geGLU(gate: tape.parameter(x[0]), up: Variable(constant: x[1]))
        #expect(training.requiresGradient)
        #expect(Self.differing(fused.scalars, training.value.scalars) == 0)
    }

    @Test(arguments: [RotaryPairing.halves, .interleaved])
    func rotaryEqualsItsRowByRowResult(pairing: RotaryPairing) {
        let heads = 4, dh = Self.columns / heads
        let rope = RotaryEmbedding(
            headDimensions: dh, inverseFrequencies: RotaryEmbedding.defaultFrequencies(headDimensions: dh, base: 10_000), pairing: pairing)
        let positions = (0..<Self.rows).map { 3 * $0 + 1 }
        let x = Self.inputs(1, seed: 43)[0]
        let whole = Tape().rotary(Variable(constant: x), rope, heads: heads, positions: positions).value
        let byRow = (0..<Self.rows).flatMap { r in
            Tape().rotary(Variable(constant: Self.row(x, r)), rope, heads: heads, positions: [positions[r]]).value.scalars
        }
        #expect(Self.differing(whole.scalars, byRow) == 0)
        // In place (the backward's inverse rotation) splits the same way.
        var inPlace = x
        inPlace.scalars.withUnsafeMutableBufferPointer { rope.apply($0.baseAddress!, rows: Self.rows, heads: heads, positions: positions) }
        #expect(Self.differing(inPlace.scalars, whole.scalars) == 0)
    }
}

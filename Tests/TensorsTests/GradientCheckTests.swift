// The finite-difference checker must reject wrong gradients, or every gradient test proves nothing.
import Testing
@testable import Tensors

@Suite struct GradientCheckTests {
    /// y = x³ recorded by hand with a backward of `factor` · 3x² · dy.
    static func cube(factor: Float, skipping skipped: Int? = nil) -> GradientChecker.Function {
        { tape, inputs in
            let x = inputs[0].value
            return tape.record(x.map { $0 * $0 * $0 }, inputs: [inputs[0]]) { dy in
                var dx = dy
                for i in 0..<dx.count {
                    dx.scalars[i] = i == skipped ? 0 : factor * 3 * x.scalars[i] * x.scalars[i] * dy.scalars[i]
                }
                return [dx]
            }
        }
    }

    static let input: Tensor = {
        var rng = SplitMix64(seed: 11)
        return rng.normal([4, 6])
    }()

    @Test func acceptsACorrectBackwardWithMargin() {
        let checker = GradientChecker()
        let (comparisons, recorded) = checker.compare([Self.input], Self.cube(factor: 1))
        #expect(recorded)
        #expect(checker.accepts(comparisons[0]))
        // Ten times below the tolerance: the tolerance is not tuned to the edge of passing.
        #expect(comparisons[0].relativeError < checker.tolerance / 10, "error \(comparisons[0].relativeError)")
    }

    @Test func rejectsABackwardOnePercentTooLarge() {
        let checker = GradientChecker()
        let (comparisons, _) = checker.compare([Self.input], Self.cube(factor: 1.01))
        #expect(!checker.accepts(comparisons[0]), "error \(comparisons[0].relativeError) was accepted")
    }

    @Test func rejectsABackwardThatDropsOneElement() {
        let checker = GradientChecker()
        let largest = Self.input.scalars.indices.max { abs(Self.input.scalars[$0]) < abs(Self.input.scalars[$1]) }!
        let comparison = checker.compare([Self.input], Self.cube(factor: 1, skipping: largest)).comparisons[0]
        #expect(!checker.accepts(comparison), "error \(comparison.relativeError) was accepted")
    }

    @Test func rejectsACorrectGradientPerturbedInOneElement() {
        let checker = GradientChecker()
        var rng = SplitMix64(seed: 12)
        let x = rng.normal([3, 8])
        let (comparisons, _) = checker.compare([x]) { tape, inputs in tape.silu(inputs[0]) }
        #expect(checker.accepts(comparisons[0]))
        // Move one element by 1% of the gradient's norm: a 1e-2 relative error.
        var wrong = comparisons[0].analytic
        wrong.scalars[5] += Float(0.01 * wrong.norm())
        let perturbed = GradientComparison(input: 0, analytic: wrong, numeric: comparisons[0].numeric)
        #expect(perturbed.relativeError > 5e-3)
        #expect(!checker.accepts(perturbed))
    }

    @Test func rejectsAGradientWithTheWrongSign() {
        let checker = GradientChecker()
        let (comparisons, _) = checker.compare([Self.input], Self.cube(factor: -1))
        #expect(comparisons[0].relativeError > 1.9)
        #expect(!checker.accepts(comparisons[0]))
    }

    @Test func rejectsAFunctionThatIgnoresItsInput() {
        let checker = GradientChecker()
        let constant = Variable(constant: Self.input)
        let (comparisons, recorded) = checker.compare([Self.input]) { tape, _ in tape.silu(constant) }
        #expect(!recorded)
        #expect(comparisons[0].numericNorm == 0)
        #expect(!checker.accepts(comparisons[0]), "a zero gradient must not pass as checked")
    }

    @Test func relativeErrorOfKnownVectors() {
        let a = Tensor(shape: [2], scalars: [3, 4])
        let b = Tensor(shape: [2], scalars: [3, 4.5])
        #expect(abs(GradientChecker.relativeError(a, b) - 0.5 / Double(b.norm())) < 1e-12)
        #expect(GradientChecker.relativeError(a, a) == 0)
        #expect(GradientChecker.relativeError(Tensor.zeros([3]), Tensor.zeros([3])) == 0)
    }

    @Test func splitMixIsSeededAndNormalsHaveUnitMoments() {
        var a = SplitMix64(seed: 7), b = SplitMix64(seed: 7), c = SplitMix64(seed: 8)
        let first = (0..<4).map { _ in a.next() }
        #expect(first == (0..<4).map { _ in b.next() })
        #expect(first != (0..<4).map { _ in c.next() })
        // SplitMix64's first output for seed 0 (reference value of the published algorithm).
        var zero = SplitMix64(seed: 0)
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
        var rng = SplitMix64(seed: 9)
        let samples = (0..<20_000).map { _ in rng.nextNormal() }
        let mean = samples.reduce(0, +) / Double(samples.count)
        let variance = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(samples.count)
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05, "mean \(mean), variance \(variance)")
    }
}

// Shapes: every operand (N, C) unless a test says otherwise.
import Foundation
import Testing
@testable import Tensors

@Suite struct ElementwiseTests {
    static func inputs(_ count: Int, shape: [Int] = [3, 5], seed: UInt64, standardDeviation: Float = 1) -> [Tensor] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in rng.normal(shape, standardDeviation: standardDeviation) }
    }

    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    static func gelu(_ x: Double) -> Double { 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x))) }

    /// Expects y_i ≈ reference(x_i) for every element, relative to max(1, |reference|).
    static func expectElementwise(_ y: Tensor, _ reference: [Double], tolerance: Double = 2e-6,
                                  sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(y.count == reference.count, sourceLocation: sourceLocation)
        var worst = 0.0
        for i in reference.indices { worst = max(worst, abs(Double(y.scalars[i]) - reference[i]) / max(1, abs(reference[i]))) }
        #expect(worst <= tolerance, "worst relative difference \(worst)", sourceLocation: sourceLocation)
    }

    // MARK: Forward

    @Test func arithmeticForward() {
        let t = Self.inputs(2, seed: 1)
        let tape = Tape()
        let a = Variable(constant: t[0]), b = Variable(constant: t[1])
        let x = t[0].scalars.map(Double.init), y = t[1].scalars.map(Double.init)
        Self.expectElementwise(tape.add(a, b).value, zip(x, y).map { $0 + $1 })
        Self.expectElementwise(tape.subtract(a, b).value, zip(x, y).map { $0 - $1 })
        Self.expectElementwise(tape.multiply(a, b).value, zip(x, y).map { $0 * $1 })
        Self.expectElementwise(tape.scale(a, by: -2.5).value, x.map { -2.5 * $0 })
        #expect(tape.add(a, b).shape == [3, 5])
        let sum = tape.sum(a).value, mean = tape.mean(a).value
        #expect(sum.shape == [1] && mean.shape == [1])
        #expect(abs(Double(sum.scalars[0]) - x.reduce(0, +)) < 1e-5)
        #expect(abs(Double(mean.scalars[0]) - x.reduce(0, +) / 15) < 1e-6)
    }

    @Test func activationsForward() {
        let t = Self.inputs(1, shape: [4, 8], seed: 2, standardDeviation: 3)[0]
        let x = t.scalars.map(Double.init)
        let tape = Tape()
        let a = Variable(constant: t)
        Self.expectElementwise(tape.sigmoid(a).value, x.map(Self.sigmoid))
        Self.expectElementwise(tape.silu(a).value, x.map { $0 * Self.sigmoid($0) })
        Self.expectElementwise(tape.geluTanh(a).value, x.map(Self.gelu))
    }

    @Test func activationsAtKnownPoints() {
        let tape = Tape()
        let x = Variable(constant: Tensor(shape: [5], scalars: [-20, -1, 0, 1, 20]))
        // σ(±1), silu(1) and gelu_tanh(±1) to Float precision; saturated ends stay finite.
        Self.expectElementwise(tape.sigmoid(x).value, [2.0611536181902037e-09, 0.2689414213699951, 0.5, 0.7310585786300049, 0.9999999979388463])
        Self.expectElementwise(tape.silu(x).value, [-4.122307236380407e-08, -0.2689414213699951, 0, 0.7310585786300049, 19.999999958776927])
        Self.expectElementwise(tape.geluTanh(x).value, [0, -0.15880800939172324, 0, 0.8411919906082768, 20])
    }

    @Test func gatedUnitsForward() {
        let t = Self.inputs(2, shape: [2, 6], seed: 3, standardDeviation: 2)
        let tape = Tape()
        let g = t[0].scalars.map(Double.init), u = t[1].scalars.map(Double.init)
        let gate = Variable(constant: t[0]), up = Variable(constant: t[1])
        Self.expectElementwise(tape.swiGLU(gate: gate, up: up).value, zip(g, u).map { $0 * Self.sigmoid($0) * $1 })
        Self.expectElementwise(tape.geGLU(gate: gate, up: up).value, zip(g, u).map { Self.gelu($0) * $1 })
    }

    // MARK: Gradients

    @Test func addGradient() {
        expectGradientsMatch(Self.inputs(2, seed: 10), names: ["a", "b"]) { tape, v in tape.add(v[0], v[1]) }
    }

    @Test func subtractGradient() {
        expectGradientsMatch(Self.inputs(2, seed: 11), names: ["a", "b"]) { tape, v in tape.subtract(v[0], v[1]) }
    }

    @Test func multiplyGradient() {
        expectGradientsMatch(Self.inputs(2, seed: 12), names: ["a", "b"]) { tape, v in tape.multiply(v[0], v[1]) }
    }

    @Test func scaleGradient() {
        expectGradientsMatch(Self.inputs(1, seed: 13)) { tape, v in tape.scale(v[0], by: -1.7) }
    }

    @Test func sigmoidGradient() {
        expectGradientsMatch(Self.inputs(1, seed: 14, standardDeviation: 2)) { tape, v in tape.sigmoid(v[0]) }
    }

    @Test func siluGradient() {
        expectGradientsMatch(Self.inputs(1, seed: 15, standardDeviation: 2)) { tape, v in tape.silu(v[0]) }
    }

    @Test func geluTanhGradient() {
        expectGradientsMatch(Self.inputs(1, seed: 16, standardDeviation: 2)) { tape, v in tape.geluTanh(v[0]) }
    }

    @Test func swiGLUGradient() {
        expectGradientsMatch(Self.inputs(2, seed: 17, standardDeviation: 2), names: ["gate", "up"]) { tape, v in
            tape.swiGLU(gate: v[0], up: v[1])
        }
    }

    @Test func geGLUGradient() {
        expectGradientsMatch(Self.inputs(2, seed: 18, standardDeviation: 2), names: ["gate", "up"]) { tape, v in
            tape.geGLU(gate: v[0], up: v[1])
        }
    }

    @Test func sumAndMeanGradients() {
        let x = Self.inputs(1, shape: [2, 3, 4], seed: 19)
        expectGradientsMatch(x) { tape, v in tape.sum(v[0]) }
        expectGradientsMatch(x) { tape, v in tape.mean(v[0]) }
    }

    @Test func gradientWhenOnlyOneOperandIsAParameter() {
        // The constant operand takes the path where its gradient is computed but not kept.
        let t = Self.inputs(2, seed: 20)
        let other = Variable(constant: t[1])
        expectGradientsMatch([t[0]]) { tape, v in tape.multiply(other, v[0]) }
        expectGradientsMatch([t[0]]) { tape, v in tape.swiGLU(gate: other, up: v[0]) }
        expectGradientsMatch([t[0]]) { tape, v in tape.geGLU(gate: v[0], up: other) }
    }
}

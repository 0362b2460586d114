import Testing
@testable import Tensors

@Suite struct HuberTests {
    /// Residuals inside and outside δ, none within the finite-difference step of the kink |r| = δ.
    static let prediction = Tensor(shape: [2, 3], scalars: [0.3, -2.5, 1.7, -0.4, 0.05, -1.6])
    static let target = Tensor(shape: [2, 3], scalars: [0.1, 0.5, -0.2, 0.2, 0.0, 0.1])

    @Test func matchesTheClosedForm() {
        // r = 0.2, −3, 1.9, −0.6, 0.05, −1.7 with δ = 1: ½r² inside, |r| − ½ outside.
        let expected = (0.5 * 0.04 + 2.5 + 1.4 + 0.5 * 0.36 + 0.5 * 0.0025 + 1.2) / 6
        let loss = Tape().huberLoss(Variable(constant: Self.prediction), target: Self.target).value.scalars[0]
        #expect(abs(Double(loss) - expected) < 1e-6)
        // δ = 2: r = −3 is the only residual beyond it.
        let wide = Tape().huberLoss(Variable(constant: Self.prediction), target: Self.target, delta: 2).value.scalars[0]
        let expectedWide = (0.5 * (0.04 + 3.61 + 0.36 + 0.0025 + 2.89) + 2 * (3 - 1)) / 6
        #expect(abs(Double(wide) - expectedWide) < 1e-6)
    }

    @Test func gradientMatchesFiniteDifferences() {
        expectGradientsMatch([Self.prediction], names: ["prediction"]) { tape, inputs in
            tape.huberLoss(inputs[0], target: Self.target)
        }
        expectGradientsMatch([Self.prediction], names: ["prediction, δ 0.5"]) { tape, inputs in
            tape.huberLoss(inputs[0], target: Self.target, delta: 0.5)
        }
    }
}

// Adam with torch.optim.Adam's semantics (no weight decay, no AMSGrad):
//   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  p ← p − lr · (m / (1−β₁ᵗ)) / (sqrt(v / (1−β₂ᵗ)) + ε).
// The expected numbers below were worked out from these lines in Double, outside Swift.
import Testing
@testable import Tensors

@Suite struct AdamTests {
    static let start: [Float] = [1, -2, 0.5]
    static let gradients: [[Float]] = [[0.5, -0.1, 0], [-0.2, 0.3, 0.05], [0.4, 0, -0.3]]

    static func run(_ optimizer: inout Adam, steps: Int) -> [[Float]] {
        var parameters = [Tensor(shape: [3], scalars: start)]
        var trajectory: [[Float]] = []
        for step in 0..<steps {
            optimizer.update(&parameters, gradients: [Tensor(shape: [3], scalars: gradients[step])])
            trajectory.append(parameters[0].scalars)
        }
        return trajectory
    }

    @Test func oneStepMovesEachParameterByTheLearningRate() {
        // Step 1: m̂ = g and v̂ = g², so p ← p − lr · g / (|g| + ε); a zero gradient leaves p alone.
        var adam = Adam(learningRate: 0.1)
        let p = Self.run(&adam, steps: 1)[0]
        #expect(maxAbsDifference(p, [0.900000002, -1.90000001, 0.5] as [Double]) < 1e-7)
        #expect(adam.step == 1)
    }

    @Test func threeStepsWithChangingGradients() {
        var adam = Adam(learningRate: 0.01)
        let trajectory = Self.run(&adam, steps: 3)
        let expected: [[Double]] = [
            [0.9900000002, -1.990000001, 0.5],
            [0.9865439418116511, -1.9949418991120065, 0.4925586338685401],
            [0.9805885750228933, -1.998762000637309, 0.49791474169370786],
        ]
        for step in 0..<3 { #expect(maxAbsDifference(trajectory[step], expected[step]) < 1e-6, "step \(step + 1)") }
        #expect(adam.step == 3)
    }

    @Test func threeStepsWithOtherBetasAndEpsilon() {
        // β₁ 0.5, β₂ 0.75: bias corrections 0.5, 0.75, 0.875 and 0.25, 0.4375, 0.578 differ a lot from 1.
        var adam = Adam(learningRate: 0.1, beta1: 0.5, beta2: 0.75, epsilon: 1e-3)
        let trajectory = Self.run(&adam, steps: 3)
        let expected: [[Double]] = [
            [0.9001996007984032, -1.900990099009901, 0.5],
            [0.8909801676349072, -1.9713020945322919, 0.414081480000514],
            [0.8269216545238756, -2.011245443533429, 0.4925261501792542],
        ]
        for step in 0..<3 { #expect(maxAbsDifference(trajectory[step], expected[step]) < 1e-6, "step \(step + 1)") }
    }

    @Test func epsilonIsAddedAfterTheSquareRoot() {
        // g 0.01, ε 0.1, lr 1: 0.01 / (0.01 + 0.1) = 0.0909…; inside the root it would be 0.0316.
        var adam = Adam(learningRate: 1, epsilon: 0.1)
        var parameters = [Tensor(shape: [1], scalars: [0])]
        adam.update(&parameters, gradients: [Tensor(shape: [1], scalars: [0.01])])
        #expect(abs(Double(parameters[0].scalars[0]) + 0.0909090909090909) < 1e-7)
    }

    @Test func parametersOfDifferentShapesHaveTheirOwnMoments() {
        // Two tensors updated together equal each updated alone.
        var together = Adam(learningRate: 0.05), aloneA = Adam(learningRate: 0.05), aloneB = Adam(learningRate: 0.05)
        var rng = SplitMix64(seed: 1000)
        var both = [rng.normal([2, 3]), rng.normal([4])]
        var a = [both[0]], b = [both[1]]
        for _ in 0..<3 {
            let ga = rng.normal([2, 3]), gb = rng.normal([4])
            together.update(&both, gradients: [ga, gb])
            aloneA.update(&a, gradients: [ga])
            aloneB.update(&b, gradients: [gb])
        }
        #expect(both[0] == a[0] && both[1] == b[0])
        #expect(both[0].shape == [2, 3] && both[1].shape == [4])
    }
}

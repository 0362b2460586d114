import Testing
@testable import Tasks

/// Mean and variance of a sample.
private func moments(_ values: [Double]) -> (mean: Double, variance: Double) {
    let mean = values.reduce(0, +) / Double(values.count)
    return (mean, values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count))
}

@Suite struct FunctionClassTests {
    @Test func linearWeightsAreStandardNormal() {
        var generator = Xoshiro256StarStar(seed: 1)
        var weights: [Double] = []
        for _ in 0..<2000 {
            weights += LinearFunction.sampleDense(dimension: 10, using: &generator).weights.map(Double.init)
        }
        let (mean, variance) = moments(weights)
        #expect(abs(mean) < 0.03)
        #expect(abs(variance - 1) < 0.04)
    }

    @Test func sparseLinearHasExactlyThreeNonZeros() {
        var generator = Xoshiro256StarStar(seed: 2)
        var coordinateHits = [Int](repeating: 0, count: 10)
        var nonZero: [Double] = []
        for _ in 0..<3000 {
            let w = LinearFunction.sampleSparse(dimension: 10, using: &generator).weights
            #expect(w.filter { $0 != 0 }.count == 3)
            for (i, value) in w.enumerated() where value != 0 {
                coordinateHits[i] += 1
                nonZero.append(Double(value))
            }
        }
        // Each coordinate is kept with probability 3/10: 900 of 3000, sd ~25.
        #expect(coordinateHits.allSatisfy { abs($0 - 900) < 125 }, "\(coordinateHits)")
        let (mean, variance) = moments(nonZero)
        #expect(abs(mean) < 0.05)
        #expect(abs(variance - 1) < 0.06)
    }

    @Test func linearAndReLUOutputsHaveVarianceD() throws {
        // E[f(x)^2] = d for both classes with x ~ N(0, I_d) (the ReLU net's sqrt(2/100) scale).
        for functionClass in [FunctionClass.linear, .reluNetwork] {
            let sampler = RegressionSampler(
                setup: try RegressionSetup(functionClass: functionClass, dimension: 8, points: 20), seed: 3)
            var ys: [Double] = []
            for index in 0..<20 { ys += sampler.batch(size: 64, index: UInt64(index)).ys.map(Double.init) }
            let (mean, variance) = moments(ys)
            #expect(abs(mean) < 0.45, "\(functionClass)")  // mean over functions: sd ~ sqrt(8/1280)
            #expect(abs(variance / 8 - 1) < 0.12, "\(functionClass): variance \(variance)")
        }
    }

    @Test func reluNetworkMatchesItsDefinition() {
        // h = 2, d = 2: f(x) = sqrt(2/2) * (1 * relu(x0 - x1) + -2 * relu(x0 + x1)).
        let net = ReLUNetwork(dimension: 2, hiddenUnits: 2, inputWeights: [1, -1, 1, 1], outputWeights: [1, -2])
        #expect(net.evaluate([3, 1]) == 2 - 8)
        #expect(net.evaluate([-3, 1]) == 0)
        #expect(net.evaluate([1, -3]) == 4)
        var generator = Xoshiro256StarStar(seed: 4)
        let sampled = ReLUNetwork.sample(dimension: 5, using: &generator)
        #expect(sampled.hiddenUnits == 100)
        #expect(sampled.inputWeights.count == 500)
        #expect(abs(sampled.outputScale - (0.02 as Float).squareRoot()) < 1e-7)
    }

    @Test func decisionTreeHasDepthFourAndFollowsSigns() {
        var generator = Xoshiro256StarStar(seed: 5)
        var leaves: [Double] = []
        var featureHits = [Int](repeating: 0, count: 6)
        for _ in 0..<500 {
            let tree = DecisionTree.sample(dimension: 6, using: &generator)
            #expect(tree.depth == 4)
            #expect(tree.features.count == 15)
            #expect(tree.leafValues.count == 16)
            for feature in tree.features { featureHits[feature] += 1 }
            leaves += tree.leafValues.map(Double.init)
        }
        let (mean, variance) = moments(leaves)
        #expect(abs(mean) < 0.05)
        #expect(abs(variance - 1) < 0.06)
        #expect(featureHits.allSatisfy { abs($0 - 1250) < 180 }, "\(featureHits)")

        // Hand-built depth-2 tree: root tests x0, left child x1, right child x2.
        let tree = DecisionTree(dimension: 3, depth: 2, features: [0, 1, 2], leafValues: [10, 11, 12, 13])
        #expect(tree.evaluate([-1, -1, 5]) == 10)  // x0 <= 0 → left; x1 <= 0 → left
        #expect(tree.evaluate([-1, 2, -5]) == 11)
        #expect(tree.evaluate([0.5, 9, -2]) == 12)  // x0 > 0 → right; x2 <= 0 → left
        #expect(tree.evaluate([0.5, -9, 2]) == 13)
        #expect(tree.evaluate([0, 0, 0]) == 10)  // zero is not positive
    }

    @Test func inputsAreStandardNormal() throws {
        let sampler = RegressionSampler(setup: try RegressionSetup(functionClass: .linear, dimension: 5, points: 40), seed: 6)
        let xs = sampler.batch(size: 100, index: 0).xs.map(Double.init)
        let (mean, variance) = moments(xs)
        #expect(abs(mean) < 0.03)
        #expect(abs(variance - 1) < 0.05)
    }

    @Test func samplingIsReproducible() throws {
        let setup = try RegressionSetup(functionClass: .decisionTree, dimension: 4, points: 9)
        let a = RegressionSampler(setup: setup, seed: 7).batch(size: 3, index: 2)
        #expect(a == RegressionSampler(setup: setup, seed: 7).batch(size: 3, index: 2))
        #expect(a != RegressionSampler(setup: setup, seed: 7).batch(size: 3, index: 3))
        #expect(a != RegressionSampler(setup: setup, seed: 8).batch(size: 3, index: 2))
    }

    @Test func ysAreTheSampledFunctionsOfTheXs() throws {
        for functionClass in FunctionClass.allCases {
            let sampler = RegressionSampler(setup: try RegressionSetup(functionClass: functionClass, dimension: 6, points: 5), seed: 9)
            let (batch, functions) = sampler.batchWithFunctions(size: 4, index: 0)
            for b in 0..<4 {
                for point in 0..<5 {
                    #expect(functions[b].evaluate(Array(batch.x(prompt: b, point: point))) == batch.y(prompt: b, point: point))
                }
            }
        }
    }
}

// The per-prompt (LTV reference) steering protocol on a tiny random regression transformer.
import Foundation
import Testing
@testable import Methods
import Models
import Tasks
import Tensors
import TestSupport

@Suite struct PromptSteeringTests {
    static let d = 4, k = 5

    static func model(seed: UInt64 = 21) throws -> RegressionTransformer {
        var generator = Xoshiro256StarStar(seed: seed)
        return try RegressionTransformer(
            configuration: try RegressionTransformerConfiguration(size: .tiny, inputDimension: d, maxPoints: 30), using: &generator)
    }

    static func prompts(points: Int, count: Int = 6, seed: UInt64 = 3) throws -> RegressionBatch {
        RegressionSampler(setup: try RegressionSetup(functionClass: .linear, dimension: d, points: points), seed: seed).batch(size: count, index: 0)
    }

    /// At test, prompt b's task vector comes from a prompt of prompt b's own function; in training,
    /// from the first K points of the prompt itself.
    @Test func theVectorIsBuiltFromTheSameFunctionsPrompts() throws {
        for condition in PromptSteeringCondition.all(noiseStandardDeviation: 1) where !condition.queryOnly {
            let (test, sources, functions) = try PromptSteeringBenchmark.evaluationPrompts(
                condition, points: 12, prompts: 5, functionClass: .linear, dimension: Self.d, trainedPoints: Self.k, seed: 4)
            #expect(sources.points == Self.k && sources.batchSize == 5 && functions.count == 5)
            for b in 0..<5 {
                for point in 0..<Self.k {
                    let x = Array(sources.x(prompt: b, point: point))
                    #expect(sources.y(prompt: b, point: point) == functions[b].evaluate(x), "\(condition.name): source \(b) is f_\(b)")
                }
                if case .noisyOutputs = condition.shift { continue }
                for point in 0..<12 {
                    let x = Array(test.x(prompt: b, point: point))
                    #expect(test.y(prompt: b, point: point) == functions[b].evaluate(x), "\(condition.name): prompt \(b) is f_\(b)")
                }
            }
            // Another prompt's function does not explain prompt 0's source.
            let x = Array(sources.x(prompt: 0, point: 0))
            #expect(sources.y(prompt: 0, point: 0) != functions[1].evaluate(x))
        }
        var settings = PromptSteeringSettings()
        settings.poolBatches = 3
        settings.batchSize = 4
        let model = try Self.model()
        let pool = try PromptSteeringBenchmark.pool(model: model, functionClass: .linear, trainedPoints: Self.k, settings: settings, seed: 2)
        #expect(pool.map(\.prompts.points) == settings.trainLengths(trainedPoints: Self.k).prefix(3).map { $0 })
        for batch in pool {
            let own = PromptHeadOutputs(model: model, sources: batch.prompts.prefix(points: Self.k))
            #expect(batch.source.heads == own.heads && batch.source.projected == own.projected)
        }
    }

    /// The projection is W_o's slice of each head times that head's output, row by row.
    @Test func projectedHeadsMatchTheOutputProjection() throws {
        let model = try Self.model()
        let source = PromptHeadOutputs(model: model, sources: try Self.prompts(points: Self.k, count: 2))
        let c = model.configuration, width = c.embeddingWidth, dh = c.headDimensions
        for (b, layer, head) in [(0, 0, 1), (1, 2, 0)] {
            let w = model.weights.layers[layer].attentionOutputWeight.scalars
            for i in [0, 17, width - 1] {
                var expected: Float = 0
                for j in 0..<dh { expected += w[i * width + head * dh + j] * source.heads.scalars[(b * c.layerCount + layer) * width + head * dh + j] }
                let found = source.projected.scalars[((b * c.layerCount + layer) * c.headCount + head) * width + i]
                #expect(abs(found - expected) <= 1e-5 * max(1, abs(expected)))
            }
        }
    }

    @Test func zeroWeightsReproduceTheTransformerExactly() throws {
        let model = try Self.model()
        let batch = try Self.prompts(points: 11)
        let source = PromptHeadOutputs(model: model, sources: batch.prefix(points: Self.k))
        let plain = PromptSteering.none.queryPredictions(of: model, on: batch, source: nil)
        let zeros = Tensor.zeros([model.configuration.layerCount, model.configuration.headCount])
        #expect(PromptSteering.learnedTaskVectors(weights: zeros).queryPredictions(of: model, on: batch, source: source) == plain)
        #expect(PromptSteering.softInjection(alphas: zeros).queryPredictions(of: model, on: batch, source: source) == plain)
        // Chunks of prompts give the same predictions as one call, up to the summation order:
        // OpenBLAS's Haswell/Zen SGEMM kernels round a row differently with another row count.
        #expect(relativeError(PromptSteering.none.queryPredictions(of: model, on: batch, source: nil, chunk: 4), plain) < 1e-6)
    }

    /// A vector built from another function's prompt changes the prediction; each prompt's
    /// prediction depends on its own source row only.
    @Test func aVectorFromAnotherFunctionChangesThePrediction() throws {
        let model = try Self.model()
        let batch = try Self.prompts(points: 11)
        let own = PromptHeadOutputs(model: model, sources: batch.prefix(points: Self.k))
        let other = PromptHeadOutputs(model: model, sources: try Self.prompts(points: Self.k, seed: 99))
        let weights = PromptSteeringBenchmark.gaussianWeights(layers: 3, heads: 2, seed: 17)
        for steering in [PromptSteering.learnedTaskVectors(weights: weights), .softInjection(alphas: Tensor(shape: [3, 2], repeating: 0.5))] {
            let mine = steering.queryPredictions(of: model, on: batch, source: own)
            let theirs = steering.queryPredictions(of: model, on: batch, source: other)
            for b in 0..<batch.batchSize { #expect(abs(mine[b] - theirs[b]) > 1e-4, "prompt \(b)") }
            // Prompt 2 alone with its own row predicts what it predicts in the batch.
            let alone = steering.queryPredictions(of: model, on: batch.prompts(2..<3), source: own.prompts(2..<3))
            #expect(abs(alone[0] - mine[2]) <= 1e-5 * max(1, abs(mine[2])))
        }
    }

    /// The noisy condition adds y noise of the stated deviation to the test prompts (and none to
    /// the prompts the vectors come from): the sample variance of y − f(x) over 4,000 draws is
    /// within 5 standard errors (σ²·sqrt(2/n)) of σ².
    @Test func theNoisyConditionAddsNoiseOfTheStatedSize() throws {
        for sigma: Float in [0.5, 1] {
            let noisy = try #require(PromptSteeringCondition.all(noiseStandardDeviation: sigma).first { $0.name.hasPrefix("noisy") })
            #expect(noisy.shift == .noisyOutputs(standardDeviation: sigma))
            let (test, sources, functions) = try PromptSteeringBenchmark.evaluationPrompts(
                noisy, points: 20, prompts: 200, functionClass: .linear, dimension: Self.d, trainedPoints: Self.k, seed: 7)
            var residuals = [Double]()
            for b in 0..<200 {
                for point in 0..<20 {
                    residuals.append(Double(test.y(prompt: b, point: point) - functions[b].evaluate(Array(test.x(prompt: b, point: point)))))
                }
                #expect(sources.y(prompt: b, point: 0) == functions[b].evaluate(Array(sources.x(prompt: b, point: 0))))
            }
            let n = Double(residuals.count), mean = residuals.reduce(0, +) / n
            let variance = residuals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
            let expected = Double(sigma * sigma)
            #expect(abs(mean) < 5 * Double(sigma) / n.squareRoot(), "σ \(sigma): mean \(mean)")
            #expect(abs(variance - expected) < 5 * expected * (2 / n).squareRoot(), "σ \(sigma): variance \(variance)")
        }
    }

    @Test func zeroPairsAreInsertedBeforeTheirFractionsOfThePrompt() throws {
        let batch = try Self.prompts(points: 10, count: 2)
        let (inserted, zeros) = ZeroPairs(fractions: [0.1, 0.25, 0.5, 0.75, 0.9]).inserted(into: batch)
        #expect(zeros == [1, 3, 7, 10, 13] && inserted.points == 15)
        var original = 0
        for point in 0..<15 {
            for b in 0..<2 {
                let x = Array(inserted.x(prompt: b, point: point)), y = inserted.y(prompt: b, point: point)
                if zeros.contains(point) {
                    #expect(x.allSatisfy { $0 == 0 } && y == 0)
                } else {
                    #expect(x == Array(batch.x(prompt: b, point: original)) && y == batch.y(prompt: b, point: original))
                }
            }
            if !zeros.contains(point) { original += 1 }
        }
        #expect(original == 10)
    }

    /// The FV with a zero vector leaves the (zero-padded) prompt's prediction alone, and a
    /// non-zero one moves it.
    @Test func functionVectorActsAtTheQuery() throws {
        let model = try Self.model()
        let batch = try Self.prompts(points: 8)
        let pairs = ZeroPairs(fractions: [0.25, 0.5])
        let padded = PromptSteering.none.queryPredictions(of: model, on: pairs.inserted(into: batch).batch, source: nil)
        let zero = PromptSteering.functionVector(vector: Tensor.zeros([64]), layers: [1], zeroPairs: pairs)
        #expect(zero.queryPredictions(of: model, on: batch, source: nil) == padded)
        var generator = Xoshiro256StarStar(seed: 8)
        let vector = Tensor(shape: [64], scalars: (0..<64).map { _ in Float(generator.nextGaussian()) })
        let moved = PromptSteering.functionVector(vector: vector, layers: [0, 1, 2], zeroPairs: pairs).queryPredictions(of: model, on: batch, source: nil)
        #expect(zip(moved, padded).allSatisfy { abs($0 - $1) > 1e-5 })
    }

    /// The tape's gradient of the Huber loss with respect to LTV's weights and SITE's logits
    /// matches central differences of the tape-free loss.
    @Test func objectiveGradientsMatchFiniteDifferences() throws {
        let model = try Self.model()
        let prompts = try Self.prompts(points: 12, count: 4)
        let batch = PromptSteeringBatch(prompts: prompts, source: PromptHeadOutputs(model: model, sources: prompts.prefix(points: Self.k)))
        for kind in [RegressionSteeringKind.ltv, .site] {
            let objective = PromptSteeringObjective(model: model, kind: kind)
            let block = PromptSteeringBenchmark.gaussianWeights(layers: 3, heads: 2, seed: 5)
            let (_, gradient) = objective.lossAndGradient(block, batch: batch)
            // SITE's gradients here are ~1e-5–1e-4 against a loss of ~0.24, whose float32 ulp over
            // 2ε is the noise floor: at ε = 1e-2 a summation order of another SGEMM kernel
            // (OpenBLAS's Haswell/Zen against SkylakeX) moved the relative error from 0.025 to
            // 0.075; at ε = 0.1 it is below 0.01 on both, and the truncation error (ε²) stays
            // far smaller (LTV: 7e-5).
            let epsilon: Float = 0.1
            var numeric = [Double]()
            for j in 0..<block.count {
                var up = block, down = block
                up.scalars[j] += epsilon
                down.scalars[j] -= epsilon
                numeric.append((Double(objective.loss(up, batch: batch)) - Double(objective.loss(down, batch: batch))) / (2 * Double(epsilon)))
            }
            let difference = zip(gradient.scalars, numeric).reduce(0.0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }.squareRoot()
            let norm = numeric.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            #expect(norm > 1e-4, "\(kind): the loss does not depend on the parameters")
            // A wrong gradient is off by order one.
            #expect(difference / norm < 2e-2, "\(kind): relative error \(difference / norm)")
        }
    }

    /// A short run trains, validates every epoch and keeps a block no worse than its start.
    @Test func trainingKeepsTheBestValidatedBlock() throws {
        let model = try Self.model()
        var settings = PromptSteeringSettings()
        settings.poolBatches = 5
        settings.batchSize = 4
        settings.epochs = 3
        settings.patience = 2
        let pool = try PromptSteeringBenchmark.pool(model: model, functionClass: .linear, trainedPoints: Self.k, settings: settings, seed: 1)
        let objective = PromptSteeringObjective(model: model, kind: .ltv)
        let initial = PromptSteeringBenchmark.gaussianWeights(layers: 3, heads: 2, seed: 17)
        let result = PromptSteeringTrainer.train(
            objective, initial: initial, learningRate: 0.05, epochs: 3, patience: 2, training: Array(pool[..<4]), validation: [pool[4]], orderSeed: 3)
        #expect(result.validations.first?.epoch == 0 && result.validations.first?.loss == objective.loss(initial, batch: pool[4]))
        #expect(result.validations.map(\.epoch) == Array(0...result.epochsRun))
        let best = try #require(result.validations.first { $0.epoch == result.bestEpoch })
        #expect(best.loss == result.validations.map(\.loss).min() && objective.loss(result.block, batch: pool[4]) == best.loss)
    }

    @Test func settingsRejectWhatCannotRun() {
        var settings = PromptSteeringSettings()
        // 4K + 5 zero pairs > 60 points.
        #expect(throws: TaskError.self) { try settings.validate(layerCount: 3, headCount: 2, trainedPoints: 21, maxPoints: 60) }
        settings.trainLengthFactors = [1]
        #expect(throws: TaskError.self) { try settings.validate(layerCount: 3, headCount: 2, trainedPoints: 5, maxPoints: 30) }
        settings = PromptSteeringSettings()
        settings.functionVectorLayers = [3]
        #expect(throws: TaskError.self) { try settings.validate(layerCount: 3, headCount: 2, trainedPoints: 5, maxPoints: 30) }
        settings = PromptSteeringSettings()
        settings.poolBatches = 1
        #expect(throws: TaskError.self) { try settings.validate(layerCount: 3, headCount: 2, trainedPoints: 5, maxPoints: 30) }
        #expect(throws: Never.self) { try PromptSteeringSettings().validate(layerCount: 3, headCount: 2, trainedPoints: 5, maxPoints: 30) }
        // The reference's 35 of 96 heads and three middle layers, scaled.
        #expect(PromptSteeringSettings().functionVectorHeads(layerCount: 12, headCount: 8) == 35)
        #expect(PromptSteeringSettings().functionVectorHeads(layerCount: 6, headCount: 4) == 9)
        #expect(PromptSteeringSettings().functionVectorLayers(layerCount: 6) == [2, 3, 4])
        #expect(PromptSteeringSettings().trainLengths(trainedPoints: 21) == [32, 42, 53, 63, 74, 84])
    }
}

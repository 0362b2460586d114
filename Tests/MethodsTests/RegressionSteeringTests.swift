// Shape legend: B prompts, N points per prompt, d input dim, D model dim, L layers, H heads,
// Dh head dim.
import Foundation
import Testing
@testable import Methods
import Models
import Tasks
import Tensors
import TestSupport

@Suite struct RegressionSteeringTests {
    static let configuration = try! RegressionTransformerConfiguration(
        embeddingWidth: 8, layerCount: 2, headCount: 2, inputDimension: 3, maxPoints: 6)

    /// Every parameter O(0.3) noise (LayerNorm weights around 1), so no gradient is negligible.
    static func noisyModel(seed: UInt64) throws -> RegressionTransformer {
        var rng = SeededGenerator(seed: seed)
        let names = RegressionWeights<Tensor>.names(layerCount: configuration.layerCount)
        let tensors = zip(names, RegressionWeights<Tensor>.shapes(for: configuration)).map { name, shape -> Tensor in
            let noise = Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in 0.3 * Float(rng.nextNormal()) })
            return name.contains("ln") && name.hasSuffix("weight") ? noise.map { 1 + $0 } : noise
        }
        return try RegressionTransformer(configuration: configuration, weights: RegressionWeights(all: tensors, layerCount: configuration.layerCount))
    }

    static func batch(points: Int, prompts: Int, seed: UInt64) throws -> RegressionBatch {
        let setup = try RegressionSetup(functionClass: .linear, dimension: 3, points: points)
        return RegressionSampler(setup: setup, seed: seed).batch(size: prompts, index: 0)
    }

    static func random(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in std * Float(rng.nextNormal()) })
    }

    static func tinySettings() -> RegressionSteeringSettings {
        var s = RegressionSteeringSettings()
        s.meanPrompts = 8
        s.meanExamples = 3
        s.topHeads = 2
        s.steps = 4
        s.validateEvery = 2
        s.trainExamples = 0...2
        s.trainBatch = 4
        s.validationPrompts = 8
        return s
    }

    // MARK: Gradients

    /// Central differences of the loss against the tape's gradient at the largest-gradient
    /// coordinates of the parameters.
    func checkGradient(_ objective: RegressionSteeringObjective, parameters: [Tensor], batches: [RegressionBatch]) {
        let (_, gradients) = objective.lossAndGradients(parameters, batches: batches)
        let flat = gradients.flatMap(\.scalars)
        let largest = flat.indices.sorted { abs(flat[$0]) > abs(flat[$1]) }.prefix(4)
        #expect(abs(flat[largest.first!]) > 1e-3, "gradient too small to check: \(flat)")
        let h = parameters[0].count, eps: Float = 1e-2
        for index in largest {
            var up = parameters, down = parameters
            up[index / h].scalars[index % h] += eps
            down[index / h].scalars[index % h] -= eps
            let numeric = (objective.lossAndGradients(up, batches: batches).loss - objective.lossAndGradients(down, batches: batches).loss) / (2 * eps)
            #expect(abs(numeric - flat[index]) <= 0.03 * abs(flat[index]) + 2e-3,
                    "coordinate \(index): tape \(flat[index]), finite difference \(numeric)")
        }
    }

    @Test func siteGradientMatchesFiniteDifferences() throws {
        let model = try Self.noisyModel(seed: 1)
        let objective = RegressionSteeringObjective(model: model, kind: .softInjection(means: Self.random([2, 8], seed: 2, std: 2)))
        let parameters = (0..<2).map { Self.random([1, 2], seed: 10 + UInt64($0), std: 0.5) }
        checkGradient(objective, parameters: parameters, batches: [try Self.batch(points: 1, prompts: 5, seed: 3), try Self.batch(points: 3, prompts: 5, seed: 4)])
    }

    @Test func ltvGradientMatchesFiniteDifferences() throws {
        let model = try Self.noisyModel(seed: 5)
        let objective = RegressionSteeringObjective(model: model, kind: .learnedTaskVectors(projected: Self.random([2, 2, 8], seed: 6)))
        let parameters = (0..<2).map { Self.random([1, 2], seed: 20 + UInt64($0), std: 0.5) }
        checkGradient(objective, parameters: parameters, batches: [try Self.batch(points: 2, prompts: 5, seed: 7), try Self.batch(points: 4, prompts: 5, seed: 8)])
    }

    // MARK: Causal indirect effect

    @Test func indirectEffectEqualsADirectlyPatchedForward() throws {
        let model = try Self.noisyModel(seed: 9)
        let clean = try Self.batch(points: 4, prompts: 6, seed: 10)
        let means = RegressionHeadStatistics.means(of: model, on: clean)
        let corrupted = RegressionHeadStatistics.corrupted(try Self.batch(points: 4, prompts: 6, seed: 11), shift: 2)
        let effects = RegressionHeadStatistics.indirectEffects(of: model, means: means, corrupted: corrupted)
        let dh = Self.configuration.headDimensions, width = Self.configuration.embeddingWidth, m = 6
        let base = RegressionSteering.none.queryError(of: model, on: corrupted)
        for layer in 0..<2 {
            for head in 0..<2 {
                // Capture the heads at the query, splice the mean into one head, and replace the row.
                let site = InterventionSite.attentionHeads(layer: layer)
                var rows = model.forward(corrupted.promptTensor(), interventions: [Intervention(site, .capture)]).captures[site]!.scalars
                for b in 0..<m {
                    for j in 0..<dh { rows[b * width + head * dh + j] = means.scalars[layer * width + head * dh + j] }
                }
                let patched = model.forward(corrupted.promptTensor(), interventions: [
                    Intervention(site, .replace(Variable(constant: Tensor(shape: [m, width], scalars: rows))))]).predictions.value.scalars
                let error = RegressionSteering.queryError(predictions: (0..<m).map { patched[$0 * 4 + 3] }, batch: corrupted)
                #expect(abs(Float(base - error) - effects.scalars[layer * 2 + head]) <= 1e-6,
                        "head \(layer).\(head): direct \(base - error), CIE \(effects.scalars[layer * 2 + head])")
            }
        }
        #expect(effects.scalars.contains { $0 != 0 })
    }

    @Test func corruptedPromptsTakeAnotherPromptsExamplesAndKeepTheQuery() throws {
        let clean = try Self.batch(points: 3, prompts: 4, seed: 12)
        let c = RegressionHeadStatistics.corrupted(clean, shift: 1)
        for b in 0..<4 {
            #expect(Array(c.x(prompt: b, point: 0)) == Array(clean.x(prompt: (b + 1) % 4, point: 0)))
            #expect(c.y(prompt: b, point: 1) == clean.y(prompt: (b + 1) % 4, point: 1))
            #expect(Array(c.x(prompt: b, point: 2)) == Array(clean.x(prompt: b, point: 2)))
            #expect(c.y(prompt: b, point: 2) == clean.y(prompt: b, point: 2))
        }
    }

    @Test func functionVectorSumsTheProjectionsOfTheTopHeads() {
        let projected = Tensor(shape: [2, 2, 2], scalars: [1, 0, 0, 1, 10, 10, 100, 0])
        let effects = Tensor(shape: [2, 2], scalars: [0.5, -1, 0.7, 0.5])
        let (vector, heads) = RegressionHeadStatistics.functionVector(projected: projected, effects: effects, count: 2)
        #expect(heads.map { [$0.layer, $0.head] } == [[1, 0], [0, 0]])
        #expect(vector.scalars == [11, 10])
    }

    @Test func projectedMeansGoThroughEachHeadsSliceOfTheOutputProjection() throws {
        let model = try Self.noisyModel(seed: 13)
        let means = Self.random([2, 8], seed: 14)
        let p = RegressionHeadStatistics.projected(means, model: model)
        // Head 1 of layer 1 alone through the full projection (other heads zeroed, bias left out).
        var only = [Float](repeating: 0, count: 8)
        for j in 4..<8 { only[j] = means.scalars[8 + j] }
        let w = model.weights.layers[1].attentionOutputWeight.scalars
        for row in 0..<8 {
            let expected = (0..<8).reduce(Float(0)) { $0 + w[row * 8 + $1] * only[$1] }
            #expect(abs(p.scalars[(1 * 2 + 1) * 8 + row] - expected) <= 1e-5)
        }
    }

    // MARK: Identity

    @Test func zeroAlphaAndZeroWeightsReproduceThePlainTransformerExactly() throws {
        let model = try Self.noisyModel(seed: 15)
        let batch = try Self.batch(points: 4, prompts: 7, seed: 16)
        let plain = RegressionSteering.none.queryPredictions(of: model, on: batch)
        let means = Self.random([2, 8], seed: 17, std: 3)
        let site = RegressionSteeringObjective(model: model, kind: .softInjection(means: means))
        let zeroAlpha = site.steering([Tensor(shape: [1, 2], repeating: -.infinity), Tensor(shape: [1, 2], repeating: -.infinity)])
        #expect(zeroAlpha.queryPredictions(of: model, on: batch) == plain)
        // In chunks, up to the summation order (OpenBLAS's Haswell/Zen SGEMM rounds a row
        // differently with another row count).
        #expect(relativeError(zeroAlpha.queryPredictions(of: model, on: batch, chunk: 3), plain) < 1e-6)
        let ltv = RegressionSteeringObjective(model: model, kind: .learnedTaskVectors(projected: Self.random([2, 2, 8], seed: 18)))
        #expect(ltv.steering(ltv.initialParameters).queryPredictions(of: model, on: batch) == plain)
        #expect(RegressionSteering.functionVector(layer: 0, vector: Tensor.zeros([8])).queryPredictions(of: model, on: batch) == plain)
        // And a non-zero steering does change the predictions.
        #expect(site.steering(site.initialParameters).queryPredictions(of: model, on: batch) != plain)
        // The query predictions equal the plain forward's last column.
        let full = model.forward(batch.promptTensor()).predictions.value.scalars
        #expect(plain == (0..<7).map { full[$0 * 4 + 3] })
    }

    // MARK: Preparation, determinism, end to end

    @Test func preparationIsSeeded() throws {
        let model = try Self.noisyModel(seed: 19)
        let s = Self.tinySettings()
        func vectors(_ seed: UInt64) throws -> [[Float]] {
            try RegressionSteeringBenchmark.prepare([.fv, .ltv, .site], model: model, functionClass: .linear, settings: s, seed: seed).map {
                switch $0.steering {
                case .none: return []
                case .functionVector(_, let v): return v.scalars
                case .learnedTaskVectors(let v): return v.scalars
                case .softInjection(let a, let m): return a.scalars + m.scalars
                }
            }
        }
        let first = try vectors(1)
        #expect(try vectors(1) == first)
        #expect(try vectors(2) != first)
    }

    @Test func trainingKeepsTheBestValidatedParameters() throws {
        let model = try Self.noisyModel(seed: 21)
        var s = Self.tinySettings()
        s.steps = 6
        let objective = RegressionSteeringObjective(model: model, kind: .softInjection(means: Self.random([2, 8], seed: 22)))
        let training = { (step: Int) in [try! Self.batch(points: 2, prompts: 4, seed: 100 + UInt64(step))] }
        let validation = [try Self.batch(points: 2, prompts: 8, seed: 23)]
        let result = RegressionSteeringTrainer.train(objective, settings: s, learningRate: 0.2, training: training, validation: validation)
        #expect(result.validations.map(\.step) == [0, 2, 4, 6])
        let best = result.validations.min { $0.loss < $1.loss }!
        #expect(result.bestStep == best.step)
        let kept = objective.steering(result.parameters).queryError(of: model, on: validation[0])
        #expect(abs(Float(kept) - best.loss) <= 1e-6)
        #expect(result.validations.contains { $0.step > 0 && $0.loss != result.validations[0].loss }, "Adam never moved the parameters")
    }

    @Test func endToEndOnATinyRandomTransformer() throws {
        var rng = SeededGenerator(seed: 24)
        let model = try RegressionTransformer(
            configuration: try RegressionTransformerConfiguration(embeddingWidth: 16, layerCount: 3, headCount: 2, inputDimension: 4, maxPoints: 10),
            using: &rng)
        let rows = try RegressionSteeringBenchmark.run(
            model: model, functionClass: .linear, trainedPoints: 5, checkpointName: "tiny", methods: [.fv, .ltv, .site],
            prompts: 6, seed: 3, settings: Self.tinySettings())
        // Conditions: 7 with 5 points and longer prompts with 10 score k = 0 ..< N; the orthogonal
        // query scores lengths 2 ... min(d, K) = 4, k = 1 ... 3.
        let perMethod = 7 * 5 + 10 + 3
        for method in ["transformer", "fv", "ltv", "site"] {
            #expect(rows.filter { $0.method == method }.count == perMethod, "\(method)")
        }
        #expect(rows.allSatisfy { $0.squaredErrorPerDimension.isFinite && $0.squaredErrorPerDimension >= 0 && $0.prompts == 6 && $0.seed == 3 })
        #expect(Set(rows.map(\.condition)) == ["in-distribution", "longer-prompts", "skewed-covariance", "scaled-x-0.5", "scaled-x-2",
                                              "scaled-y-0.5", "scaled-y-2", "noisy-y-0.5", "orthogonal-query"])
        #expect(Set(rows.filter { $0.method == "site" }.map(\.settings)).count == 1)
        #expect(rows.first { $0.method == "fv" }!.settings.contains("top_heads=2"))
        #expect(rows.filter { $0.method != "transformer" }.allSatisfy { $0.prepSeconds > 0 })

        // The transformer's rows are `bench regression eval`'s for the same seed.
        let conditions = RegressionEvaluationCondition.standard(dimensions: 4, points: 5, maxPoints: 10)
        let eval = try RegressionEvaluation.evaluate(model, functionClass: .linear, conditions: conditions, prompts: 6, seed: 3)
            .filter { $0.estimator == "transformer" }
        for e in eval {
            let mine = rows.first { $0.method == "transformer" && $0.condition == e.condition && $0.inContextExamples == e.inContextExamples }
            #expect(mine != nil && abs(mine!.squaredErrorPerDimension - e.squaredErrorPerDimension) <= 1e-9 * max(1, e.squaredErrorPerDimension),
                    "\(e.condition) k \(e.inContextExamples)")
        }

        let again = try RegressionSteeringBenchmark.run(
            model: model, functionClass: .linear, trainedPoints: 5, checkpointName: "tiny", methods: [.fv, .ltv, .site],
            prompts: 6, seed: 3, settings: Self.tinySettings())
        #expect(again.map(\.squaredErrorPerDimension) == rows.map(\.squaredErrorPerDimension))
    }

    // MARK: Errors

    @Test func invalidSettingsThrow() throws {
        var rng = SeededGenerator(seed: 25)
        let model = try RegressionTransformer(configuration: Self.configuration, using: &rng)
        func throwsFor(_ change: (inout RegressionSteeringSettings) -> Void) -> Bool {
            var s = Self.tinySettings()
            change(&s)
            do {
                _ = try RegressionSteeringBenchmark.prepare([.fv], model: model, functionClass: .linear, settings: s, seed: 0)
                return false
            } catch let error as TaskError {
                return "\(error)".contains("regression steering")
            } catch {
                return false
            }
        }
        #expect(throwsFor { $0.meanPrompts = 1 })
        #expect(throwsFor { $0.meanExamples = 6 })  // 7 points for a model of 6
        #expect(throwsFor { $0.topHeads = 5 })
        #expect(throwsFor { $0.functionVectorLayer = 2 })
        #expect(throwsFor { $0.learningRate = 0 })
        #expect(throwsFor { $0.ltvLearningRate = .nan })
        #expect(throwsFor { $0.trainExamples = 0...6 })
        #expect(throwsFor { $0.trainBatch = 0 })
        #expect(!throwsFor { _ in })
        #expect(throws: TaskError.self) {
            try RegressionSteeringBenchmark.run(model: model, functionClass: .linear, trainedPoints: 3, checkpointName: "x",
                                                methods: [], prompts: 0, seed: 0)
        }
    }

    @Test func unreadableCheckpointThrows() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("steer-\(UUID().uuidString).safetensors")
        try Data([1, 2, 3]).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: (any Error).self) {
            try RegressionSteeringBenchmark.run(checkpoint: url, methods: [.fv], prompts: 1, seed: 0)
        }
    }
}

// Shape legend: L layers, H heads, D model dim, Dh head dim.
import Foundation
@testable import Methods
import Models
import Tasks
import Tensors
import Testing
import TestSupport

@Suite("Learned task vectors: pieces", .serialized)
struct LTVPieceTests {
    @Test func profilesRecordEverySetting() {
        let same = LTVSettings.sameBudget, paper = LTVSettings.paper(steps: 1000)
        let sameText = SettingsText(of: same), paperText = SettingsText(of: paper)
        #expect(sameText["profile"] == "same-budget" && paperText["profile"] == "paper")
        #expect(sameText["steps"] == "400" && paperText["steps"] == "1000")
        #expect(sameText["learning_rate"] == "0.01" && paperText["learning_rate"] == "5e-05")
        #expect(sameText["training_shots"] == "0" && paperText["training_shots"] == "5")
        #expect(sameText["shuffled_labels"] == "false" && paperText["shuffled_labels"] == "true")
        #expect(sameText["initialisation"] == "zeros" && paperText["initialisation"] == "gaussian")
        #expect(sameText["mean_prompts"] == "50" && sameText["mean_shots"] == "10")
        #expect(sameText["validation_items"] == "100" && sameText["validate_every"] == "50")
        #expect(LearnedTaskVectorMethod(same).name == .ltv && LearnedTaskVectorMethod(paper).name == .ltvPaper)
        #expect(sameText.hash != SettingsText(of: LTVSettings.paper(steps: 400)).hash)
        #expect(same.validationSteps == [0, 50, 100, 150, 200, 250, 300, 350, 400])
        var odd = same
        odd.steps = 7
        odd.validateEvery = 3
        #expect(odd.validationSteps == [0, 3, 6, 7])
    }

    @Test func stepOrderVisitsEveryPromptOncePerPass() {
        var order = StepOrder(count: 5, seed: 3), again = StepOrder(count: 5, seed: 3)
        var visits = [Int]()
        for _ in 0..<15 { visits.append(order.next()) }
        for pass in 0..<3 { #expect(Set(visits[(pass * 5)..<(pass * 5 + 5)]) == Set(0..<5)) }
        #expect(visits == (0..<15).map { _ in again.next() })
        #expect(visits[0..<5] != visits[5..<10] || visits[5..<10] != visits[10..<15])
    }

    /// Σ_h P[l, h] is the whole output projection of the mean heads, and one head's P is its slice.
    @Test func projectionIsThePerHeadSliceOfTheOutputProjection() throws {
        let model = try LTVFixtures.model()
        let c = model.decoder.configuration
        let l = c.layerCount, h = c.attentionHeads, dh = c.headDimensions, d = c.hiddenSize
        var generator = Xoshiro256StarStar(seed: 5)
        let means = (0..<l).map { _ in
            Tensor(shape: [1, h * dh], scalars: (0..<(h * dh)).map { _ in Float(generator.nextGaussian()) })
        }
        let projected = ProjectedHeadMeans.project(means: means, decoder: model.decoder)
        #expect(projected.shape == [l, h, d])
        for layer in [0, l / 2, l - 1] {
            let whole = Tape().linear(Variable(constant: means[layer]),
                                      weight: Variable(constant: model.decoder.weights.layers[layer].outputProjection.tensor())).value
            var summed = [Float](repeating: 0, count: d)
            for head in 0..<h { for i in 0..<d { summed[i] += projected.scalars[(layer * h + head) * d + i] } }
            #expect(relativeError(summed, whole.scalars) < 1e-5, "layer \(layer)")
        }
        // Head 3 of layer 2, by the definition.
        let wo = model.decoder.weights.layers[2].outputProjection.tensor()  // (D, H·Dh)
        let head = 3
        let expected = (0..<d).map { row in
            (0..<dh).reduce(Float(0)) { $0 + wo.scalars[row * h * dh + head * dh + $1] * means[2].scalars[head * dh + $1] }
        }
        let actual = Array(projected.scalars[((2 * h + head) * d)..<((2 * h + head + 1) * d)])
        #expect(relativeError(actual, expected) < 1e-6)
    }

    /// With Gemma's norm after attention, Σ_h P[l, h] is what the attention block adds to the
    /// residual stream for the mean heads: the post-attention norm of W_o m, as the decoder applies it.
    @Test func projectionPassesThroughTheNormAfterAttention() throws {
        let decoder = try DecoderLoader.load(huggingFaceFolder: SharedPaths.reference.appendingPathComponent("tiny/gemma3"))
        let c = decoder.configuration
        let l = c.layerCount, h = c.attentionHeads, dh = c.headDimensions, d = c.hiddenSize
        #expect(c.sandwichNorms)
        var generator = Xoshiro256StarStar(seed: 9)
        let means = (0..<l).map { _ in
            Tensor(shape: [1, h * dh], scalars: (0..<(h * dh)).map { _ in Float(generator.nextGaussian()) })
        }
        let projected = ProjectedHeadMeans.project(means: means, decoder: decoder)
        for layer in [0, l / 2, l - 1] {
            let weights = decoder.weights.layers[layer]
            let tape = Tape()
            let raw = tape.linear(Variable(constant: means[layer]), weight: Variable(constant: weights.outputProjection.tensor()))
            let post = try #require(weights.postAttentionNorm)
            let entering = tape.rmsNorm(raw, weight: Variable(constant: post), epsilon: c.normEpsilon, offset: c.normWeightOffset).value
            var summed = [Float](repeating: 0, count: d)
            for head in 0..<h { for i in 0..<d { summed[i] += projected.scalars[(layer * h + head) * d + i] } }
            #expect(relativeError(summed, entering.scalars) < 1e-4, "layer \(layer)")
            // The raw slices are not what enters: the norm rescales them.
            #expect(relativeError(raw.value.scalars, entering.scalars) > 0.1, "layer \(layer)")
        }
        // One head's P is its W_o slice, times the layer's norm gain and 1 / rms of the whole.
        let layer = 2, head = 1
        let wo = decoder.weights.layers[layer].outputProjection.tensor()  // (D, H·Dh)
        let slice = (0..<d).map { row in
            (0..<dh).reduce(Float(0)) { $0 + wo.scalars[row * h * dh + head * dh + $1] * means[layer].scalars[head * dh + $1] }
        }
        let whole = Tape().linear(Variable(constant: means[layer]), weight: Variable(constant: wo)).value.scalars
        let rms = ((whole.reduce(0) { $0 + $1 * $1 } / Float(d)) + c.normEpsilon).squareRoot()
        let gain = try #require(decoder.weights.layers[layer].postAttentionNorm).scalars.map { $0 + c.normWeightOffset }
        let expected = (0..<d).map { slice[$0] / rms * gain[$0] }
        let actual = Array(projected.scalars[((layer * h + head) * d)..<((layer * h + head + 1) * d)])
        #expect(relativeError(actual, expected) < 1e-4)
    }

    @Test func missingTrainItemsThrow() throws {
        let empty = try LTVFixtures.context(SyntheticTasks.reverse, trainCount: 0)
        #expect(throws: MethodError.notEnoughItems(method: "ltv", task: "reverse", split: "train",
                                                   purpose: "2-shot mean prompts (a query and 2 other items)", needed: 3, available: 0)) {
            try LTVProblem.make(empty, settings: LTVFixtures.small(steps: 1))
        }
        // The paper profile's 2-shot training prompts need two train items besides the query.
        let two = try LTVFixtures.context(SyntheticTasks.reverse, trainCount: 2)
        #expect(throws: MethodError.notEnoughItems(method: "ltv-paper", task: "reverse", split: "train",
                                                   purpose: "2-shot mean prompts (a query and 2 other items)", needed: 3, available: 2)) {
            try LTVProblem.make(two, settings: LTVFixtures.small(steps: 1, profile: .paper), method: .ltvPaper)
        }
    }
}

@Suite("Learned task vectors: training on the tiny model", .serialized)
struct LTVTrainingTests {
    /// The tape's gradient of the loss w.r.t. w against central differences. Float32 forward: the
    /// loss is good to ~1e-6, so eps = 1e-2 (in w units, where w·P moves the
    /// residual by ~1e-2 of a head's mean output) keeps rounding error near 1e-4 while the
    /// truncation error stays second order.
    @Test func gradientMatchesCentralDifferences() throws {
        let context = try LTVFixtures.context(SyntheticTasks.reverse)
        let problem = try LTVProblem.make(context, settings: LTVFixtures.small(steps: 0))
        let prompts = LastTokenPrompts(model: context.model, prompts: [problem.validationPrompts[0]],
                                       targets: [problem.validationTargets[0]])
        let projections = [LTVVectors.transposedProjections(problem.projectedHeadMeans)]
        var generator = Xoshiro256StarStar(seed: 11)
        var w = problem.initialWeights
        for i in 0..<w.count { w.scalars[i] = 0.1 * Float(generator.nextGaussian()) }

        func loss(_ w: Tensor) -> (loss: Float, gradient: Tensor) {
            let tape = Tape()
            let parameter = tape.parameter(w)
            let vectors = LTVVectors.layerVectors(tape: tape, weights: parameter, transposedProjections: projections, rowsPerTask: [1])
            let loss = prompts.loss([0], tape: tape, interventions: LTVTrainer.interventions(vectors)).loss
            return (loss.value.scalars[0], tape.gradients(of: loss)[parameter])
        }
        let gradient = loss(w).gradient
        let byMagnitude = gradient.scalars.indices.sorted { abs(gradient.scalars[$0]) > abs(gradient.scalars[$1]) }
        #expect(abs(gradient.scalars[byMagnitude[0]]) > 0.05, "the largest gradient \(gradient.scalars[byMagnitude[0]]) is too small to test")
        let coordinates = Array(byMagnitude.prefix(3)) + [byMagnitude[5], byMagnitude[9], w.count - 1]
        let eps: Float = 1e-2
        for i in coordinates {
            var plus = w, minus = w
            plus.scalars[i] += eps
            minus.scalars[i] -= eps
            let numeric = (loss(plus).loss - loss(minus).loss) / (2 * eps)
            let analytic = gradient.scalars[i]
            #expect(abs(numeric - analytic) <= 0.03 * abs(analytic) + 2e-3,
                    "w[\(i / w.shape[1]), \(i % w.shape[1])]: tape \(analytic), central difference \(numeric)")
        }
    }

    @Test func validationLossFallsInAShortRun() throws {
        let context = try LTVFixtures.context(SyntheticTasks.reverse)
        let settings = LTVFixtures.small(steps: 12, learningRate: 0.02)
        let problem = try LTVProblem.make(context, settings: settings)
        let result = try LTVTrainer.train(backend: NativeBackend(model: context.model), problems: [problem], settings: settings).results[0]
        #expect(result.validationSteps == [0, 2, 4, 6, 8, 10, 12])
        #expect(result.trainingLosses.count == 12)
        let first = result.validationLosses[0], last = result.validationLosses.last!
        #expect(last < first - 0.1, "validation loss \(result.validationLosses)")
        #expect(result.bestValidationLoss == result.validationLosses.min()!)
        #expect(result.bestStep == result.validationSteps[result.validationLosses.firstIndex(of: result.bestValidationLoss)!])
        #expect(result.weights != problem.initialWeights)
    }

    /// Several tasks trained together give each task what training it alone gives.
    @Test func batchedTasksMatchTrainingAlone() throws {
        let settings = LTVFixtures.small(steps: 4, learningRate: 0.02)
        let problems = try [SyntheticTasks.reverse, SyntheticTasks.upper].map { try LTVProblem.make(LTVFixtures.context($0), settings: settings) }
        let model = try LTVFixtures.model()
        let together = try LTVTrainer.train(backend: NativeBackend(model: model), problems: problems, settings: settings).results
        for (task, problem) in problems.enumerated() {
            let alone = try LTVTrainer.train(backend: NativeBackend(model: model), problems: [problem], settings: settings).results[0]
            let batched = together[task]
            #expect(maxDifference(batched.weights, alone.weights) <= 1e-5, "\(problem.name) best weights")
            #expect(maxDifference(batched.finalWeights, alone.finalWeights) <= 1e-5, "\(problem.name) final weights")
            #expect(batched.bestStep == alone.bestStep && batched.validationSteps == alone.validationSteps)
            for (a, b) in zip(batched.validationLosses, alone.validationLosses) { #expect(abs(a - b) <= 1e-4) }
            for (a, b) in zip(batched.trainingLosses, alone.trainingLosses) { #expect(abs(a - b) <= 1e-4) }
            #expect(maxDifference(alone.finalWeights, problem.initialWeights) > 0.01, "training moved nothing")
        }
        #expect(maxDifference(together[0].finalWeights, together[1].finalWeights) > 1e-3, "the tasks trained alike")
    }

    @Test func artifactRoundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ltv-artifact-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = ArtifactCache(root: folder)
        let method = LearnedTaskVectorMethod(LTVFixtures.small(steps: 3))
        let context = try LTVFixtures.context(SyntheticTasks.reverse)
        let trained = try method.prepareJointly([context], cache: cache)[0]
        #expect(!trained.preparation.fromCache && trained.preparation.tokensProcessed > 0)
        let restored = try method.prepareJointly([context], cache: cache)[0]
        #expect(restored.preparation.fromCache)
        #expect(restored.weights == trained.weights && restored.projectedHeadMeans == trained.projectedHeadMeans)
        #expect(restored.validationSteps == trained.validationSteps && restored.validationLosses == trained.validationLosses)
        #expect(restored.bestStep == trained.bestStep && restored.bestValidationLoss == trained.bestValidationLoss)
        #expect(restored.vectors == trained.vectors)

        // Test-time interventions: v_l = Σ_h w[l, h] · P[l, h] added after every layer, one row per prompt.
        let c = context.model.decoder.configuration
        let l = c.layerCount, h = c.attentionHeads, d = c.hiddenSize
        let interventions = restored.interventions(batchSize: 3)
        #expect(interventions.count == l)
        for (layer, intervention) in interventions.enumerated() {
            #expect(intervention.site == .residual(layer: layer) && intervention.position == .last)
            guard case .add(let value) = intervention.action else {
                Issue.record("layer \(layer): not an addition")
                continue
            }
            var expected = [Float](repeating: 0, count: d)
            for head in 0..<h {
                let weight = restored.weights.scalars[layer * h + head]
                for i in 0..<d { expected[i] += weight * restored.projectedHeadMeans.scalars[(layer * h + head) * d + i] }
            }
            #expect(value.shape == [3, d])
            for row in 0..<3 { #expect(relativeError(value.value.row(row), expected) < 1e-5) }
        }

        // Another seed is another artifact; a corrupted one is an error, neither trusted nor overwritten.
        let reseeded = try method.prepareJointly([LTVFixtures.context(SyntheticTasks.reverse, seed: 8)], cache: cache)[0]
        #expect(!reseeded.preparation.fromCache)
        let reseededSettings = method.artifactSettings(try LTVFixtures.context(SyntheticTasks.reverse, seed: 8))
        let jsonURL = cache.folder(model: context.model.name, method: method.name, task: "reverse", settings: reseededSettings)
            .appendingPathComponent("artifact.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: jsonURL)) as! [String: Any]
        var facts = json["facts"] as! [String: String]
        facts["best_step"] = "not a number"
        json["facts"] = facts
        try JSONSerialization.data(withJSONObject: json).write(to: jsonURL)
        let folderPath = jsonURL.deletingLastPathComponent().path
        #expect(throws: MethodError.corruptArtifact(method: "ltv", path: folderPath, reason: "fact best_step is \"not a number\"")) {
            try method.prepareJointly([LTVFixtures.context(SyntheticTasks.reverse, seed: 8)], cache: cache)
        }
    }

    /// The paper profile (Gaussian init, shuffled labels): the same seed gives the same w twice.
    @Test func seedsGiveIdenticalWeights() throws {
        let method = LearnedTaskVectorMethod(LTVFixtures.small(steps: 2, profile: .paper))
        let first = try method.prepare(LTVFixtures.context(SyntheticTasks.reverse, seed: 21), cache: nil) as! LearnedTaskVectorMethod.Prepared
        let second = try method.prepare(LTVFixtures.context(SyntheticTasks.reverse, seed: 21), cache: nil) as! LearnedTaskVectorMethod.Prepared
        let other = try method.prepare(LTVFixtures.context(SyntheticTasks.reverse, seed: 22), cache: nil) as! LearnedTaskVectorMethod.Prepared
        #expect(first.weights == second.weights && first.projectedHeadMeans == second.projectedHeadMeans)
        #expect(first.validationLosses == second.validationLosses)
        #expect(first.weights != other.weights)
        // The N(0, 1) start drawn from the seed, then 2 Adam steps, each moving a weight by at most
        // about the learning rate.
        let start = try LTVProblem.make(LTVFixtures.context(SyntheticTasks.reverse, seed: 21), settings: method.configuration).initialWeights
        #expect(start.scalars.contains { abs($0) > 0.5 } && start.scalars.allSatisfy { $0.isFinite && abs($0) < 6 })
        #expect(maxDifference(first.weights, start) <= 2.2 * method.configuration.learningRate)
    }
}

func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "maxDifference: \(a.shape) vs \(b.shape)")
    return zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

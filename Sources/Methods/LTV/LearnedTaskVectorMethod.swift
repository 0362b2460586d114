// Shape legend: B prompts in a batch, L layers, H heads, D model dim, K validations.
import Foundation
import Models
import Tasks
import Tensors

/// Learned task vectors (Saglam et al., DESIGN.md "Methods"): per layer l,
/// v_l = Σ_h w[l, h] · P[l, h], with P[l, h] head h's mean last-token output projected through
/// its slice of layer l's output projection; v_l is added to the output of every layer at the
/// last prompt token of a zero-shot prompt. w (L, H) is trained by Adam with the model frozen.
public struct LearnedTaskVectorMethod: TaskMethod {
    public var configuration: LTVSettings

    public init(_ configuration: LTVSettings = .sameBudget) { self.configuration = configuration }

    public var name: MethodName { configuration.profile == .paper ? .ltvPaper : .ltv }

    public func prepare(_ context: MethodContext, cache: ArtifactCache?) throws -> any PreparedMethod {
        try prepareJointly([context], cache: cache)[0]
    }

    /// Prepares several tasks (of one model) at once: those without a cached artifact train
    /// together as independent problems (`LTVTrainer`), each giving what preparing it alone would.
    /// - Throws: `MethodError.invalidSetting` for a setting outside its range; as
    ///   `LTVProblem.make`; `MethodError` for a cached artifact that is corrupt or of another
    ///   shape; a cache write failure.
    /// - Precondition: every context has the same model.
    public func prepareJointly(_ contexts: [MethodContext], cache: ArtifactCache?) throws -> [Prepared] {
        guard let model = contexts.first?.model else { return [] }
        precondition(contexts.allSatisfy { $0.model.name == model.name }, "prepareJointly: contexts of different models")
        try configuration.validate(method: name)
        var prepared = [Prepared?](repeating: nil, count: contexts.count)
        var toTrain = [Int]()
        for (i, context) in contexts.enumerated() {
            if let cache, let artifact = try cache.load(model: model.name, method: name, task: context.task.name,
                                                        settings: artifactSettings(context)),
               let restored = try Prepared(artifact: artifact, seed: context.seed, shape: context.backend.shape, method: name) {
                prepared[i] = restored
            } else {
                toTrain.append(i)
            }
        }
        if !toTrain.isEmpty {
            let start = Date()
            let problems = try toTrain.map { try LTVProblem.make(contexts[$0], settings: configuration, method: name) }
            let run = try LTVTrainer.train(backend: contexts[toTrain[0]].backend, problems: problems, settings: configuration)
            let seconds = Date().timeIntervalSince(start) / Double(toTrain.count)
            for (j, i) in toTrain.enumerated() {
                let cost = PreparationCost(
                    seconds: seconds, tokensProcessed: problems[j].meanTokens + run.tokensProcessed / toTrain.count)
                let result = Prepared(result: run.results[j], projectedHeadMeans: problems[j].projectedHeadMeans,
                                      preparation: cost, seed: contexts[i].seed)
                if let cache {
                    try cache.save(model: model.name, method: name, task: contexts[i].task.name,
                                   settings: artifactSettings(contexts[i]), artifact: result.artifact)
                }
                prepared[i] = result
            }
        }
        return prepared.map { $0! }
    }

    /// Trained weights and the vectors they give.
    public struct Prepared: PreparedMethod {
        /// The kept w (L, H).
        public let weights: Tensor
        /// P (L, H, D).
        public let projectedHeadMeans: Tensor
        /// v_l (1, D) per layer.
        public let vectors: [Tensor]
        public let bestStep: Int
        public let bestValidationLoss: Float
        public let validationSteps: [Int]
        public let validationLosses: [Float]
        public let preparation: PreparationCost
        /// The context seed it was prepared with.
        public let seed: UInt64

        public var shots: Int { 0 }

        init(result: LTVTrainingResult, projectedHeadMeans: Tensor, preparation: PreparationCost, seed: UInt64) {
            self.init(weights: result.weights, projectedHeadMeans: projectedHeadMeans, bestStep: result.bestStep,
                      bestValidationLoss: result.bestValidationLoss, validationSteps: result.validationSteps,
                      validationLosses: result.validationLosses, preparation: preparation, seed: seed)
        }

        init(weights: Tensor, projectedHeadMeans: Tensor, bestStep: Int, bestValidationLoss: Float,
             validationSteps: [Int], validationLosses: [Float], preparation: PreparationCost, seed: UInt64) {
            self.weights = weights
            self.projectedHeadMeans = projectedHeadMeans
            let tape = Tape()
            vectors = LTVVectors.layerVectors(
                tape: tape, weights: Variable(constant: weights),
                transposedProjections: [LTVVectors.transposedProjections(projectedHeadMeans)], rowsPerTask: [1]
            ).map(\.value)
            self.bestStep = bestStep
            self.bestValidationLoss = bestValidationLoss
            self.validationSteps = validationSteps
            self.validationLosses = validationLosses
            self.preparation = preparation
            self.seed = seed
        }

        /// `.add` of v_l, repeated for the B prompts, at `.residual(layer: l)` of every layer.
        public func interventions(batchSize: Int) -> [Intervention] {
            let tape = Tape()
            return LTVTrainer.interventions(vectors.map { tape.broadcastRows(Variable(constant: $0), count: batchSize) })
        }

        // MARK: Artifact

        /// Tensors: weights (L, H), projected_head_means (L, H, D), validation_steps and
        /// validation_losses (K); facts: best step and loss, seed, preparation cost.
        var artifact: ArtifactCache.Artifact {
            ArtifactCache.Artifact(
                tensors: [
                    "weights": weights,
                    "projected_head_means": projectedHeadMeans,
                    "validation_steps": Tensor(shape: [validationSteps.count], scalars: validationSteps.map(Float.init)),
                    "validation_losses": Tensor(shape: [validationLosses.count], scalars: validationLosses),
                ],
                facts: [
                    "best_step": "\(bestStep)",
                    "best_validation_loss": "\(bestValidationLoss)",
                    "seed": "\(seed)",
                    "preparation_seconds": "\(preparation.seconds)",
                    "preparation_tokens": "\(preparation.tokensProcessed)",
                ])
        }

        /// A cached artifact made with `seed`, for a model of this shape; nil when it was made
        /// with another seed (it is then trained again).
        /// - Throws: `MethodError.artifactShape` or `.corruptArtifact` when it does not fit the model.
        init?(artifact: ArtifactCache.Artifact, seed: UInt64, shape c: BackendModelShape, method: MethodName) throws {
            guard artifact.facts["seed"] == "\(seed)" else { return nil }
            let weights = try artifact.tensor("weights", shape: [c.layers, c.attentionHeads], method: method)
            let projected = try artifact.tensor("projected_head_means", shape: [c.layers, c.attentionHeads, c.hiddenSize], method: method)
            let steps = artifact.tensors["validation_steps"], losses = artifact.tensors["validation_losses"]
            guard let steps, let losses, steps.rank == 1, steps.shape == losses.shape,
                  steps.scalars.allSatisfy({ $0 >= 0 && $0 < 1e9 && $0.rounded() == $0 })
            else {
                throw MethodError.corruptArtifact(method: method, path: artifact.path,
                                                  reason: "validation_steps \(steps?.shape.description ?? "missing") and validation_losses \(losses?.shape.description ?? "missing") are not one list of whole steps and one of losses")
            }
            let bestStep = try artifact.fact("best_step", method: method) { Int($0) }
            let bestLoss = try artifact.fact("best_validation_loss", method: method) { Float($0) }
            self.init(
                weights: weights, projectedHeadMeans: projected, bestStep: bestStep, bestValidationLoss: bestLoss,
                validationSteps: steps.scalars.map { Int($0) }, validationLosses: losses.scalars,
                preparation: PreparationCost(fromCache: true), seed: seed)
        }
    }
}

// Shape legend: B prompts, N points per prompt, L layers, H heads.
import Models
import Tasks
import Tensors

/// One minibatch of the per-prompt protocol: prompts longer than the model was trained on, and
/// the head outputs of each prompt's own trained-length prefix.
public struct PromptSteeringBatch: Sendable {
    public var prompts: RegressionBatch
    public var source: PromptHeadOutputs

    public init(prompts: RegressionBatch, source: PromptHeadOutputs) {
        precondition(source.count == prompts.batchSize, "steering batch: \(source.count) source rows for \(prompts.batchSize) prompts")
        self.prompts = prompts
        self.source = source
    }
}

/// What LTV or SITE trains on the frozen regression transformer under the per-prompt protocol:
/// one (L, H) block, LTV's weights w or SITE's mixing logits (α = sigmoid(logit)); the loss is
/// the Huber loss of the final query's prediction.
public struct PromptSteeringObjective: Sendable {
    public let model: RegressionTransformer
    /// .ltv or .site.
    public let kind: RegressionSteeringKind
    public let huberDelta: Float

    public init(model: RegressionTransformer, kind: RegressionSteeringKind, huberDelta: Float = 1) {
        precondition(kind != .fv, "PromptSteeringObjective: FV is not trained")
        self.model = model
        self.kind = kind
        self.huberDelta = huberDelta
    }

    /// The steering a block stands for.
    public func steering(_ block: Tensor) -> PromptSteering {
        kind == .ltv ? .learnedTaskVectors(weights: block) : .softInjection(alphas: block.map(sigmoidScalar))
    }

    /// The Huber loss at the final query of `batch` and its gradient with respect to the block.
    public func lossAndGradient(_ block: Tensor, batch: PromptSteeringBatch) -> (loss: Float, gradient: Tensor) {
        let tape = Tape()
        let parameter = tape.parameter(block)
        let interventions = kind == .ltv
            ? PromptSteering.learnedTaskVectorInterventions(weights: parameter, source: batch.source, tape: tape)
            : PromptSteering.softInjectionInterventions(alphas: tape.sigmoid(parameter), source: batch.source, tape: tape)
        let prompts = batch.prompts, b = prompts.batchSize, n = prompts.points
        let predictions = model.forward(prompts.promptTensor(), tape: tape, interventions: interventions).predictions  // (B, N)
        let query = tape.rows(tape.reshape(predictions, [b * n, 1]), (0..<b).map { $0 * n + n - 1 })  // (B, 1)
        let targets = Tensor(shape: [b, 1], scalars: (0..<b).map { prompts.y(prompt: $0, point: n - 1) })
        let loss = tape.huberLoss(query, target: targets, delta: huberDelta)
        return (loss.value.scalars[0], tape.gradients(of: loss)[parameter])
    }

    /// The Huber loss without a tape (validation).
    public func loss(_ block: Tensor, batch: PromptSteeringBatch) -> Float {
        let predictions = steering(block).queryPredictions(of: model, on: batch.prompts, source: batch.source)
        let n = batch.prompts.points
        let targets = Tensor(shape: [predictions.count, 1], scalars: (0..<predictions.count).map { batch.prompts.y(prompt: $0, point: n - 1) })
        return Tape().huberLoss(Variable(constant: Tensor(shape: [predictions.count, 1], scalars: predictions)), target: targets, delta: huberDelta)
            .value.scalars[0]
    }
}

/// Epochs of Adam over the training minibatches through `KeepBestTraining`, validated after each
/// epoch on the validation minibatches, early-stopped, keeping the best block.
public enum PromptSteeringTrainer {
    public struct Result: Sendable {
        public var block: Tensor
        /// (epoch, mean validation loss), epoch 0 being the initial block.
        public var validations: [(epoch: Int, loss: Float)]
        public var bestEpoch: Int
        public var epochsRun: Int
    }

    /// - Parameters:
    ///   - initial: the block (L, H) before training.
    ///   - orderSeed: seeds each epoch's shuffle of the training minibatches.
    public static func train(
        _ objective: PromptSteeringObjective, initial: Tensor, learningRate: Float, epochs: Int, patience: Int,
        training: [PromptSteeringBatch], validation: [PromptSteeringBatch], orderSeed: UInt64
    ) -> Result {
        precondition(!training.isEmpty && !validation.isEmpty, "steering training: \(training.count) training, \(validation.count) validation batches")
        let perEpoch = training.count
        var orders = [Int: [Int]]()
        func order(epoch: Int) -> [Int] {
            if let known = orders[epoch] { return known }
            var generator = Xoshiro256StarStar(seed: SplitMix64.mix([orderSeed, UInt64(epoch)]))
            let shuffled = generator.sampleWithoutReplacement(perEpoch, from: perEpoch)
            orders[epoch] = shuffled
            return shuffled
        }
        let run = KeepBestTraining.train(
            initial: initial, taskRows: [0..<initial.shape[0]], learningRate: learningRate,
            schedule: KeepBestTraining.Schedule(steps: epochs * perEpoch, validateEvery: perEpoch, patience: patience),
            gradient: { step, block in
                let epoch = (step - 1) / perEpoch
                return objective.lossAndGradient(block, batch: training[order(epoch: epoch)[(step - 1) % perEpoch]]).gradient
            },
            validate: { _, block in
                [validation.map { objective.loss(block, batch: $0) }.reduce(0, +) / Float(validation.count)]
            })
        let task = run.tasks[0]
        return Result(
            block: task.best, validations: zip(task.validationSteps, task.validationLosses).map { ($0.0 / perEpoch, $0.1) },
            bestEpoch: task.bestStep / perEpoch, epochsRun: task.stepsRun / perEpoch)
    }
}

// Shape legend: B prompts, N points per prompt, d input dim, D model dim, L layers, H heads,
// Dh head dim.
import Models
import Tasks
import Tensors

/// What SITE or LTV trains on the frozen regression transformer: one (1, H) row per layer —
/// SITE's logits of α = sigmoid(logit), LTV's weights w of v_l = Σ_h w_{l,h} P[l, h].
public struct RegressionSteeringObjective: Sendable {
    public enum Kind: Sendable {
        /// means (L, H·Dh).
        case softInjection(means: Tensor)
        /// P (L, H, D).
        case learnedTaskVectors(projected: Tensor)
    }

    public let model: RegressionTransformer
    public let kind: Kind

    public init(model: RegressionTransformer, kind: Kind) {
        self.model = model
        self.kind = kind
    }

    /// SITE's logits start at 0 (α = ½); LTV's weights at 0 (no vector).
    public var initialParameters: [Tensor] {
        (0..<model.configuration.layerCount).map { _ in Tensor.zeros([1, model.configuration.headCount]) }
    }

    /// The steering the parameters stand for.
    public func steering(_ parameters: [Tensor]) -> RegressionSteering {
        let c = model.configuration
        let rows = parameters.flatMap(\.scalars)
        switch kind {
        case .softInjection(let means):
            return .softInjection(alphas: Tensor(shape: [c.layerCount, c.headCount], scalars: rows.map(sigmoidScalar)), means: means)
        case .learnedTaskVectors(let projected):
            return .learnedTaskVectors(vectors: LTVVectors.vectors(
                weights: Tensor(shape: [c.layerCount, c.headCount], scalars: rows), projected: projected))
        }
    }

    /// Mean over `batches` of their mean query error (ŷ − y)² / d, and its gradient with respect
    /// to every parameter row.
    public func lossAndGradients(_ parameters: [Tensor], batches: [RegressionBatch]) -> (loss: Float, gradients: [Tensor]) {
        precondition(!batches.isEmpty, "steering loss: no batches")
        let tape = Tape()
        let params = parameters.map { tape.parameter($0) }
        var total: Variable? = nil
        for batch in batches {
            let loss = queryLoss(batch, parameters: params, tape: tape)
            total = total.map { tape.add($0, loss) } ?? loss
        }
        let loss = tape.scale(total!, by: 1 / Float(batches.count))
        let gradients = tape.gradients(of: loss)
        return (loss.value.scalars[0], params.map { gradients[$0] })
    }

    func queryLoss(_ batch: RegressionBatch, parameters: [Variable], tape: Tape) -> Variable {
        let b = batch.batchSize, n = batch.points
        let stacked = tape.stackRows(parameters)  // (L, H): row l is layer l's parameters
        let interventions: [Intervention]
        switch kind {
        case .softInjection(let means):
            interventions = SoftInjectionInterventions.make(
                embeddings: [means], weights: tape.sigmoid(stacked),
                rows: Array(repeating: .init(embedding: 0, weights: 0), count: b), tape: tape)
        case .learnedTaskVectors(let projected):
            let vectors = LTVVectors.layerVectors(
                tape: tape, weights: stacked, transposedProjections: [LTVVectors.transposedProjections(projected)], rowsPerTask: [b])
            interventions = LTVTrainer.interventions(vectors)
        }
        let predictions = model.forward(batch.promptTensor(), tape: tape, interventions: interventions).predictions  // (B, N)
        let query = tape.rows(tape.reshape(predictions, [b * n, 1]), (0..<b).map { $0 * n + n - 1 })  // (B, 1)
        let targets = Tensor(shape: [b, 1], scalars: (0..<b).map { batch.y(prompt: $0, point: n - 1) })
        let delta = tape.subtract(query, Variable(constant: targets))
        return tape.scale(tape.mean(tape.multiply(delta, delta)), by: 1 / Float(batch.dimension))
    }
}

/// Adam on a `RegressionSteeringObjective`, validated every few steps, keeping the best.
public enum RegressionSteeringTrainer {
    public struct Result: Sendable {
        public var parameters: [Tensor]
        /// (step, validation loss) at every validation.
        public var validations: [(step: Int, loss: Float)]
        public var bestStep: Int
    }

    /// - Parameters:
    ///   - settings: steps and validation period.
    ///   - training: the batches of step s (one per example count), from `trainingBatches(s)`.
    ///   - validation: fixed batches.
    public static func train(
        _ objective: RegressionSteeringObjective, settings: RegressionSteeringSettings, learningRate: Float,
        training: (Int) -> [RegressionBatch], validation: [RegressionBatch]
    ) -> Result {
        // One task whose block is every layer's (1, H) row: (L, H).
        func layers(_ block: Tensor) -> [Tensor] { (0..<block.shape[0]).map { block.rows($0..<($0 + 1)) } }
        let initial = objective.initialParameters
        let run = KeepBestTraining.train(
            initial: Tensor(shape: [initial.count, initial[0].count], scalars: initial.flatMap(\.scalars)),
            taskRows: [0..<initial.count], learningRate: learningRate,
            schedule: KeepBestTraining.Schedule(steps: settings.steps, validateEvery: settings.validateEvery),
            gradient: { step, block in
                let gradients = objective.lossAndGradients(layers(block), batches: training(step)).gradients
                return Tensor(shape: block.shape, scalars: gradients.flatMap(\.scalars))
            },
            validate: { _, block in
                let steering = objective.steering(layers(block))
                let losses = validation.map { steering.queryError(of: objective.model, on: $0) }
                return [Float(losses.reduce(0, +) / Double(losses.count))]
            })
        let task = run.tasks[0]
        return Result(parameters: layers(task.best), validations: Array(zip(task.validationSteps, task.validationLosses)),
                      bestStep: task.bestStep)
    }
}

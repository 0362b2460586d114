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
            let h = c.headCount, d = c.embeddingWidth
            var vectors = [Float](repeating: 0, count: c.layerCount * d)
            for l in 0..<c.layerCount {
                for head in 0..<h {
                    let w = rows[l * h + head]
                    for i in 0..<d { vectors[l * d + i] += w * projected.scalars[(l * h + head) * d + i] }
                }
            }
            return .learnedTaskVectors(vectors: Tensor(shape: [c.layerCount, d], scalars: vectors))
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
        let c = model.configuration, b = batch.batchSize, n = batch.points
        var interventions = [Intervention]()
        for l in 0..<c.layerCount {
            switch kind {
            case .softInjection(let means):
                let alphas = tape.broadcastRows(tape.sigmoid(parameters[l]), count: b)  // (B, H)
                let target = Variable(constant: Tensor(shape: [b, means.shape[1]], scalars: (0..<b).flatMap { _ in means.row(l) }))
                interventions.append(Intervention(.attentionHeads(layer: l), .mixHeads(target: target, weights: alphas)))
            case .learnedTaskVectors(let projected):
                let d = c.embeddingWidth, h = c.headCount
                var transposed = [Float](repeating: 0, count: d * h)  // P[l]ᵀ (D, H)
                for head in 0..<h {
                    for i in 0..<d { transposed[i * h + head] = projected.scalars[(l * h + head) * d + i] }
                }
                let vector = tape.linear(parameters[l], weight: Variable(constant: Tensor(shape: [d, h], scalars: transposed)))  // (1, D)
                interventions.append(Intervention(.residual(layer: l), .add(tape.broadcastRows(vector, count: b))))
            }
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
    ///   - training: the batches of step s (one per example count), from `trainingBatches(s)`.
    ///   - validation: fixed batches.
    public static func train(
        _ objective: RegressionSteeringObjective, settings: RegressionSteeringSettings,
        training: (Int) -> [RegressionBatch], validation: [RegressionBatch]
    ) -> Result {
        var parameters = objective.initialParameters
        var adam = Adam(learningRate: settings.learningRate)
        func validate() -> Float {
            let steering = objective.steering(parameters)
            let losses = validation.map { steering.queryError(of: objective.model, on: $0) }
            return Float(losses.reduce(0, +) / Double(losses.count))
        }
        var best = (step: 0, loss: validate(), parameters: parameters)
        var validations = [(step: 0, loss: best.loss)]
        for step in 1...max(1, settings.steps) where settings.steps > 0 {
            let gradients = objective.lossAndGradients(parameters, batches: training(step)).gradients
            adam.update(&parameters, gradients: gradients)
            if step % settings.validateEvery == 0 || step == settings.steps {
                let loss = validate()
                validations.append((step, loss))
                if loss < best.loss { best = (step, loss, parameters) }
            }
        }
        return Result(parameters: best.parameters, validations: validations, bestStep: best.step)
    }
}

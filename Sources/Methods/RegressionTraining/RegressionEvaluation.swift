// Shape legend: B batch, N points per prompt, d input dimension.
import Foundation
import Models
import Tasks
import Tensors

/// One evaluation setting: a shift and a prompt length.
public struct RegressionEvaluationCondition: Sendable, Equatable {
    public var name: String
    public var shift: DistributionShift
    public var points: Int
    /// Score only the last point (the orthogonal query); the curve then runs over prompt lengths
    /// 2...points, one batch of prompts per length.
    public var queryOnly: Bool

    public init(name: String, shift: DistributionShift, points: Int, queryOnly: Bool = false) {
        self.name = name
        self.shift = shift
        self.points = points
        self.queryOnly = queryOnly
    }

    /// In distribution at the trained length K, prompts of 2K points (capped by the model's
    /// positions), skewed covariance, x and y scaled by 1/2 and 2, y noise σ = 0.5, and the
    /// orthogonal query for every length with fewer context points than dimensions.
    public static func standard(dimensions d: Int, points k: Int, maxPoints: Int) -> [RegressionEvaluationCondition] {
        [RegressionEvaluationCondition(name: "in-distribution", shift: .none, points: k),
         RegressionEvaluationCondition(name: "longer-prompts", shift: .none, points: min(2 * k, maxPoints)),
         RegressionEvaluationCondition(name: "skewed-covariance", shift: .skewedCovariance, points: k),
         RegressionEvaluationCondition(name: "scaled-x-0.5", shift: .scaledInputs(0.5), points: k),
         RegressionEvaluationCondition(name: "scaled-x-2", shift: .scaledInputs(2), points: k),
         RegressionEvaluationCondition(name: "scaled-y-0.5", shift: .scaledOutputs(0.5), points: k),
         RegressionEvaluationCondition(name: "scaled-y-2", shift: .scaledOutputs(2), points: k),
         RegressionEvaluationCondition(name: "noisy-y-0.5", shift: .noisyOutputs(standardDeviation: 0.5), points: k),
         RegressionEvaluationCondition(name: "orthogonal-query", shift: .orthogonalQuery, points: min(d, k), queryOnly: true)]
    }
}

/// Squared error / d of one estimator with `inContextExamples` examples, averaged over prompts.
public struct RegressionEvaluationRow: Sendable, Equatable, Codable {
    public var condition: String
    public var estimator: String
    public var inContextExamples: Int
    public var squaredErrorPerDimension: Double
    public var prompts: Int

    /// The columns of eval.csv.
    enum CodingKeys: String, CodingKey {
        case condition, estimator
        case inContextExamples = "in_context_examples"
        case squaredErrorPerDimension = "squared_error_per_dim"
        case prompts
    }

    public init(condition: String, estimator: String, inContextExamples: Int, squaredErrorPerDimension: Double, prompts: Int) {
        self.condition = condition
        self.estimator = estimator
        self.inContextExamples = inContextExamples
        self.squaredErrorPerDimension = squaredErrorPerDimension
        self.prompts = prompts
    }
}

/// The transformer against the baselines (least squares, 3-nearest neighbours, averaging).
public enum RegressionEvaluation {
    public static let transformerName = "transformer"

    /// Predictions of the model at every point of every prompt (B, N), in chunks of 64 prompts.
    public static func predictions(of model: RegressionTransformer, on batch: RegressionBatch) -> [Float] {
        precondition(batch.dimension == model.configuration.inputDimension,
                     "evaluation: prompts of d \(batch.dimension) for a model of d \(model.configuration.inputDimension)")
        let input = batch.trainingTensor(), rows = 2 * batch.points, d = batch.dimension
        var out = [Float]()
        out.reserveCapacity(batch.batchSize * batch.points)
        var start = 0
        while start < batch.batchSize {
            let count = min(64, batch.batchSize - start)
            let chunk = Tensor(shape: [count, rows, d], scalars: Array(input.scalars[(start * rows * d)..<((start + count) * rows * d)]))
            out += model.forward(chunk).predictions.value.scalars
            start += count
        }
        return out
    }

    /// Every estimator under every condition.
    /// - Throws: `TaskError.invalidRegressionSetup` for a condition that cannot be sampled.
    public static func evaluate(
        _ model: RegressionTransformer, functionClass: FunctionClass, conditions: [RegressionEvaluationCondition],
        prompts: Int, seed: UInt64
    ) throws -> [RegressionEvaluationRow] {
        precondition(prompts >= 1, "evaluation needs at least one prompt")
        let d = model.configuration.inputDimension
        let baselines: [any RegressionBaseline] = [LeastSquaresBaseline(), NearestNeighboursBaseline(neighbours: 3), AveragingBaseline()]
        var rows = [RegressionEvaluationRow]()
        for condition in conditions {
            guard condition.points <= model.configuration.maxPoints else {
                throw TaskError.invalidRegressionSetup(
                    reason: "condition \(condition.name) has \(condition.points) points; the model has positions for \(model.configuration.maxPoints)")
            }
            let lengths = condition.queryOnly ? Array(2...max(2, condition.points)) : [condition.points]
            var curves: [String: [(Int, Double)]] = [:]
            for length in lengths {
                let setup = try RegressionSetup(functionClass: functionClass, dimension: d, points: length, shift: condition.shift)
                let stream = SplitMix64.mix([seed, SplitMix64.stableHash(condition.name), UInt64(length)])
                let batch = RegressionSampler(setup: setup, seed: stream).batch(size: prompts, index: 0)
                var estimates = [(transformerName, predictions(of: model, on: batch))]
                estimates += baselines.map { ($0.name, $0.predictions(for: batch)) }
                for (name, predicted) in estimates {
                    let errors = RegressionMetric.squaredErrorByLength(predictions: predicted, batch: batch)
                    let kept = condition.queryOnly ? [(length - 1, errors[length - 1])] : errors.enumerated().map { ($0.offset, $0.element) }
                    curves[name, default: []] += kept
                }
            }
            for name in [transformerName] + baselines.map(\.name) {
                for (k, error) in curves[name] ?? [] {
                    rows.append(RegressionEvaluationRow(condition: condition.name, estimator: name, inContextExamples: k,
                                                        squaredErrorPerDimension: error, prompts: prompts))
                }
            }
        }
        return rows
    }
}

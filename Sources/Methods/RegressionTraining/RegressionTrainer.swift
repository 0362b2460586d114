// Shape legend: B batch, T tokens (2 per point), D model dim, d input dimension, N points.
import Foundation
import Models
import Tasks
import Tensors

/// Trains a `RegressionTransformer` on freshly sampled prompts, Garg et al. style: MSE of the
/// prediction at every x row against its y, Adam, a curriculum over dimensions and points.
///
/// The data stream needs no generator state: batch `step` is `RegressionSampler` batch `step`
/// of a seed derived from the run's seed, at that step's curriculum stage. A trainer restored
/// from a checkpoint therefore continues bit-identically.
public struct RegressionTrainer: Sendable {
    public let options: RegressionTrainingOptions
    public private(set) var model: RegressionTransformer
    public private(set) var optimizer: Adam
    /// Steps taken; the next batch is batch number `step`.
    public var step: Int { optimizer.step }

    /// A new run: weights initialised from the seed.
    public init(options: RegressionTrainingOptions) throws {
        var generator = Xoshiro256StarStar(seed: SplitMix64.mix([options.seed, SplitMix64.stableHash("regression-init")]))
        let model = try RegressionTransformer(configuration: options.modelConfiguration(), using: &generator)
        self.options = options
        self.model = model
        self.optimizer = Adam(learningRate: options.learningRate, shapes: model.weights.all.map(\.shape))
    }

    /// A run restored from its state.
    /// - Precondition: the moments fit the model (checked by the checkpoint reader).
    public init(options: RegressionTrainingOptions, model: RegressionTransformer, optimizer: Adam) {
        self.options = options
        self.model = model
        self.optimizer = optimizer
    }

    /// The seed of the training data stream.
    var dataSeed: UInt64 { SplitMix64.mix([options.seed, SplitMix64.stableHash("regression-train-data")]) }

    /// The training batch of step `step`: prompts at that step's curriculum stage, x padded with
    /// zeros from the active dimensions to d. Input (B, 2N, d) and targets (B, N).
    public func trainingBatch(at step: Int) -> (input: Tensor, targets: Tensor, stage: (dimensions: Int, points: Int)) {
        let stage = options.curriculum.stage(at: step)
        // The options were validated, and the stage never exceeds them: the setup is valid.
        let setup = try! RegressionSetup(functionClass: options.functionClass, dimension: stage.dimensions, points: stage.points)
        let batch = RegressionSampler(setup: setup, seed: dataSeed).batch(size: options.batchSize, index: UInt64(step))
        let active = batch.trainingTensor()  // (B, 2N, active)
        let d = options.dimensions, rows = options.batchSize * 2 * stage.points
        var padded = [Float](repeating: 0, count: rows * d)
        active.scalars.withUnsafeBufferPointer { a in
            for r in 0..<rows { for i in 0..<stage.dimensions { padded[r * d + i] = a[r * stage.dimensions + i] } }
        }
        return (Tensor(shape: [options.batchSize, 2 * stage.points, d], scalars: padded),
                Tensor(shape: [options.batchSize, stage.points], scalars: batch.ys), stage)
    }

    /// Mean squared error of `predictions` (B, N) against `targets` (B, N), on the tape.
    public static func meanSquaredError(_ predictions: Variable, _ targets: Tensor, tape: Tape) -> Variable {
        let difference = tape.subtract(predictions, Variable(constant: targets))
        return tape.mean(tape.multiply(difference, difference))
    }

    /// One step: forward, backward, Adam update. Returns the batch's loss before the update.
    @discardableResult
    public mutating func trainStep() -> Float {
        let (input, targets, _) = trainingBatch(at: step)
        let tape = Tape()
        let variables = model.weights.map { tape.parameter($0) }
        let output = model.forward(input, weights: variables, tape: tape)
        let loss = Self.meanSquaredError(output.predictions, targets, tape: tape)
        let gradients = tape.gradients(of: loss)
        var parameters = model.weights.all
        optimizer.update(&parameters, gradients: variables.all.map { gradients[$0] })
        model.weights = RegressionWeights(all: parameters, layerCount: model.configuration.layerCount)
        return loss.value.scalars[0]
    }
}

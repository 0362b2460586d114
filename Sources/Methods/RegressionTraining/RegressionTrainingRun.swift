import Foundation
import Models
import Tasks

/// One line of the training curve: the mean loss of the `logEvery` steps ending at `step`.
public struct RegressionTrainingRecord: Sendable, Equatable, Codable {
    /// Steps taken after this record's last update.
    public var step: Int
    public var loss: Double
    public var stepsPerSecond: Double
    public var dimensions: Int
    public var points: Int

    /// The columns of curve.csv.
    enum CodingKeys: String, CodingKey {
        case step, loss
        case stepsPerSecond = "steps_per_second"
        case dimensions, points
    }

    public init(step: Int, loss: Double, stepsPerSecond: Double, dimensions: Int, points: Int) {
        self.step = step
        self.loss = loss
        self.stepsPerSecond = stepsPerSecond
        self.dimensions = dimensions
        self.points = points
    }
}

/// Where a training run keeps its curve (`bench regression train`: curve.csv through the result
/// store's CSV code).
public protocol RegressionCurveStore {
    /// The stored records, in step order.
    func records() throws -> [RegressionTrainingRecord]
    /// Replaces the stored records by `records`, all at once.
    mutating func replace(with records: [RegressionTrainingRecord]) throws
}

/// A training run in a directory: `checkpoint.safetensors` and `model.safetensors` (rewritten
/// every `checkpointEvery` steps and at the end) and the curve (records up to the checkpoint's
/// step, in a `RegressionCurveStore`). Started again on the same directory and curve, it resumes
/// from the checkpoint and continues exactly as an uninterrupted run.
public struct RegressionTrainingRun {
    public var options: RegressionTrainingOptions
    public var directory: URL
    public var checkpointEvery: Int
    /// Steps per curve row.
    public var logEvery: Int

    public init(options: RegressionTrainingOptions, directory: URL, checkpointEvery: Int = 1000, logEvery: Int = 10) {
        precondition(checkpointEvery >= 1 && logEvery >= 1, "checkpointEvery \(checkpointEvery) and logEvery \(logEvery) must be positive")
        self.options = options
        self.directory = directory
        self.checkpointEvery = checkpointEvery
        self.logEvery = logEvery
    }

    public var checkpointURL: URL { directory.appendingPathComponent("checkpoint.safetensors") }
    /// The model alone, rewritten with every checkpoint (`RegressionCheckpoint.writeModel`).
    public var modelURL: URL { directory.appendingPathComponent("model.safetensors") }

    /// The trainer to continue: the checkpoint's when there is one (its options must equal these),
    /// else a fresh one.
    public func loadOrCreateTrainer() throws -> RegressionTrainer {
        guard FileManager.default.fileExists(atPath: checkpointURL.path) else { return try RegressionTrainer(options: options) }
        let trainer = try RegressionCheckpoint.read(from: checkpointURL)
        guard trainer.options == options else {
            throw ModelLoadError.invalidConfiguration(
                "\(checkpointURL.path) was trained with other options (\(trainer.options)); use another --output or the same options")
        }
        return trainer
    }

    /// Trains until `steps` steps are done, reporting every curve row to `progress`.
    /// - Throws: what reading or writing the checkpoint and curve throws.
    @discardableResult
    public func run<Curve: RegressionCurveStore>(
        steps: Int, curve store: inout Curve, progress: (RegressionTrainingRecord) -> Void = { _ in }
    ) throws -> RegressionTrainer {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var trainer = try loadOrCreateTrainer()
        // A killed run may have logged past its last checkpoint: those records are dropped.
        var curve = try store.records().filter { $0.step <= trainer.step }
        var pending: [RegressionTrainingRecord] = []
        var lossSum = 0.0, windowSteps = 0, windowStart = Date()
        while trainer.step < steps {
            let stage = options.curriculum.stage(at: trainer.step)
            lossSum += Double(trainer.trainStep())
            windowSteps += 1
            if trainer.step % logEvery == 0 || trainer.step == steps {
                let seconds = Date().timeIntervalSince(windowStart)
                let record = RegressionTrainingRecord(
                    step: trainer.step, loss: lossSum / Double(windowSteps), stepsPerSecond: Double(windowSteps) / max(seconds, 1e-9),
                    dimensions: stage.dimensions, points: stage.points)
                pending.append(record)
                progress(record)
                lossSum = 0; windowSteps = 0; windowStart = Date()
            }
            if trainer.step % checkpointEvery == 0 || trainer.step == steps {
                curve += pending
                pending = []
                try RegressionCheckpoint.write(trainer, to: checkpointURL)
                try RegressionCheckpoint.writeModel(trainer, to: modelURL)
                try store.replace(with: curve)
            }
        }
        return trainer
    }
}

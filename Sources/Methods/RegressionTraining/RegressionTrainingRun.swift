import Foundation
import Models
import Tasks

/// One line of the training curve: the mean loss of the `logEvery` steps ending at `step`.
public struct RegressionTrainingRecord: Sendable, Equatable {
    /// Steps taken after this record's last update.
    public var step: Int
    public var loss: Double
    public var stepsPerSecond: Double
    public var dimensions: Int
    public var points: Int

    static let header = "step,loss,steps_per_second,dimensions,points"
    var csvLine: String { "\(step),\(loss),\(String(format: "%.3f", stepsPerSecond)),\(dimensions),\(points)" }
}

/// A training run in a directory: `checkpoint.safetensors` and `model.safetensors` (rewritten
/// every `checkpointEvery` steps and at the end) and `curve.csv` (rows up to the checkpoint's step). Started again on the
/// same directory, it resumes from the checkpoint and continues exactly as an uninterrupted run.
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
    public var curveURL: URL { directory.appendingPathComponent("curve.csv") }
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
    public func run(steps: Int, progress: (RegressionTrainingRecord) -> Void = { _ in }) throws -> RegressionTrainer {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var trainer = try loadOrCreateTrainer()
        var curve = try curveLines(upTo: trainer.step)
        var pending: [String] = []
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
                pending.append(record.csvLine)
                progress(record)
                lossSum = 0; windowSteps = 0; windowStart = Date()
            }
            if trainer.step % checkpointEvery == 0 || trainer.step == steps {
                curve += pending
                pending = []
                try RegressionCheckpoint.write(trainer, to: checkpointURL)
                try RegressionCheckpoint.writeModel(trainer, to: modelURL)
                try writeCurve(curve)
            }
        }
        return trainer
    }

    /// The existing curve's data rows with step ≤ `step` (a killed run may have logged past its
    /// last checkpoint).
    func curveLines(upTo step: Int) throws -> [String] {
        guard FileManager.default.fileExists(atPath: curveURL.path) else { return [] }
        let text = try String(contentsOf: curveURL, encoding: .utf8)
        return text.split(separator: "\n").dropFirst().compactMap { line in
            guard let first = line.split(separator: ",").first, let s = Int(first), s <= step else { return nil }
            return String(line)
        }
    }

    func writeCurve(_ lines: [String]) throws {
        let text = ([RegressionTrainingRecord.header] + lines).joined(separator: "\n") + "\n"
        try text.write(to: curveURL, atomically: true, encoding: .utf8)
    }
}

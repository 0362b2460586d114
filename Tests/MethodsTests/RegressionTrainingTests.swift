// Shape legend: B batch, N points per prompt, d input dimension.
import Foundation
import ModelFormats
import Testing
@testable import Methods
import Models
import Tasks
import Tensors

@Suite struct RegressionTrainingTests {
    static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("regression-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A tiny run that takes milliseconds per step even in a debug build.
    static func tinyOptions(seed: UInt64 = 3, learningRate: Float = 1e-3) throws -> RegressionTrainingOptions {
        try RegressionTrainingOptions(functionClass: .linear, dimensions: 6, points: 7, size: .tiny, maxPoints: 8,
                                      batchSize: 8, learningRate: learningRate, seed: seed, curriculumInterval: 5)
    }

    @Test func curriculumGrowsDimensionsAndPointsToTheirLimits() {
        let c = RegressionCurriculum(dimensions: 10, points: 21, interval: 100)
        #expect(c.stage(at: 0) == (5, 11))
        #expect(c.stage(at: 99) == (5, 11))
        #expect(c.stage(at: 100) == (6, 13))
        #expect(c.stage(at: 499) == (9, 19))
        #expect(c.stage(at: 500) == (10, 21))
        #expect(c.stage(at: 100_000) == (10, 21))
        let small = RegressionCurriculum(dimensions: 3, points: 4)
        #expect(small.stage(at: 0) == (3, 4))
    }

    @Test func trainingBatchZeroesInactiveDimensions() throws {
        let trainer = try RegressionTrainer(options: Self.tinyOptions())
        let (input, targets, stage) = trainer.trainingBatch(at: 0)
        #expect(stage == (5, 7))
        #expect(input.shape == [8, 14, 6] && targets.shape == [8, 7])
        for row in 0..<(8 * 14) {
            #expect(input.scalars[row * 6 + 5] == 0)  // dimension 6 is not active yet
            if row % 2 == 1 {
                #expect(input.scalars[row * 6] == targets.scalars[row / 2])  // y row: y in coordinate 0
                #expect(input.scalars[(row * 6 + 1)..<(row * 6 + 6)].allSatisfy { $0 == 0 })
            }
        }
        #expect(trainer.trainingBatch(at: 10).stage == (6, 7))
        // The stream is a function of the step: the same batch twice, another one at the next step.
        #expect(trainer.trainingBatch(at: 3).input == trainer.trainingBatch(at: 3).input)
        #expect(trainer.trainingBatch(at: 3).input != trainer.trainingBatch(at: 4).input)
    }

    @Test func shortRunLossFalls() throws {
        // d 4 and 6 points: the curriculum starts at its end, so the loss scale stays fixed
        // (E y² = 4). A fresh model already predicts about 0 and needs thousands of steps to learn
        // in context; starting it off by a constant (read-out bias 3, loss ≈ 13) makes a short run
        // show that forward, backward and Adam together reduce the loss.
        let options = try RegressionTrainingOptions(functionClass: .linear, dimensions: 4, points: 6, size: .tiny, maxPoints: 6,
                                                    batchSize: 8, learningRate: 1e-2, seed: 11)
        #expect(options.curriculum.stage(at: 0) == (4, 6))
        let fresh = try RegressionTrainer(options: options)
        var weights = fresh.model.weights
        weights.readOutBias = Tensor(shape: [1], scalars: [3])
        var trainer = RegressionTrainer(
            options: options, model: try RegressionTransformer(configuration: fresh.model.configuration, weights: weights),
            optimizer: fresh.optimizer)
        let losses = (0..<30).map { _ in Double(trainer.trainStep()) }
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(10).reduce(0, +) / 10
        #expect(losses.allSatisfy { $0.isFinite })
        #expect(first > 8, "the offset start should cost about 13, got \(first)")
        #expect(last < 0.6 * first, "loss \(first) → \(last)")
        #expect(trainer.step == 30)
    }

    @Test func resumedRunEqualsUninterruptedRun() throws {
        let options = try Self.tinyOptions()
        let straightDirectory = try Self.temporaryDirectory("straight"), resumedDirectory = try Self.temporaryDirectory("resumed")
        defer {
            try? FileManager.default.removeItem(at: straightDirectory)
            try? FileManager.default.removeItem(at: resumedDirectory)
        }
        var straightCurve = MemoryCurve(), resumedCurve = MemoryCurve()
        let straight = try RegressionTrainingRun(options: options, directory: straightDirectory, checkpointEvery: 10, logEvery: 5)
            .run(steps: 20, curve: &straightCurve)
        try RegressionTrainingRun(options: options, directory: resumedDirectory, checkpointEvery: 10, logEvery: 5).run(steps: 10, curve: &resumedCurve)
        // A new process would start here: everything comes back from the directory and the curve.
        let resumed = try RegressionTrainingRun(options: options, directory: resumedDirectory, checkpointEvery: 10, logEvery: 5)
            .run(steps: 20, curve: &resumedCurve)
        #expect(resumed.step == 20)
        #expect(resumed.model.weights.all == straight.model.weights.all)
        #expect(resumed.optimizer.firstMoments == straight.optimizer.firstMoments)
        #expect(resumed.optimizer.secondMoments == straight.optimizer.secondMoments)
        let fromDisk = try RegressionCheckpoint.read(from: resumedDirectory.appendingPathComponent("checkpoint.safetensors"))
        #expect(fromDisk.model.weights.all == straight.model.weights.all && fromDisk.step == 20)
        // The curves agree on step, loss and stage (not on the timing column).
        func columns(_ curve: MemoryCurve) -> [[Double]] {
            curve.stored.map { [Double($0.step), $0.loss, Double($0.dimensions), Double($0.points)] }
        }
        #expect(columns(resumedCurve) == columns(straightCurve))
        #expect(straightCurve.stored.map(\.step) == [5, 10, 15, 20])
    }

    @Test func curveRowsPastTheCheckpointAreDroppedOnResume() throws {
        let options = try Self.tinyOptions()
        let directory = try Self.temporaryDirectory("truncate")
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = RegressionTrainingRun(options: options, directory: directory, checkpointEvery: 5, logEvery: 5)
        var curve = MemoryCurve()
        try run.run(steps: 5, curve: &curve)
        // A killed run logged past its last checkpoint.
        curve.stored.append(RegressionTrainingRecord(step: 10, loss: 9.9, stepsPerSecond: 1, dimensions: 5, points: 7))
        try run.run(steps: 10, curve: &curve)
        #expect(curve.stored.map(\.step) == [5, 10])
        #expect(!curve.stored.contains { $0.loss == 9.9 })
    }

    @Test func brokenOrForeignCheckpointsThrow() throws {
        let options = try Self.tinyOptions()
        let directory = try Self.temporaryDirectory("broken")
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = RegressionTrainingRun(options: options, directory: directory, checkpointEvery: 2, logEvery: 2)
        var curve = MemoryCurve()
        try run.run(steps: 2, curve: &curve)
        // Another seed on the same folder: refused, not silently mixed.
        let other = RegressionTrainingRun(options: try Self.tinyOptions(seed: 4), directory: directory, checkpointEvery: 2)
        #expect(throws: ModelLoadError.self) { try other.run(steps: 4, curve: &curve) }
        // The model-only file is not a training checkpoint.
        #expect(throws: ModelLoadError.self) { try RegressionCheckpoint.read(from: run.modelURL) }
        // A truncated checkpoint.
        let bytes = try Data(contentsOf: run.checkpointURL)
        let truncated = directory.appendingPathComponent("truncated.safetensors")
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        #expect(throws: ModelFormatError.self) { try RegressionCheckpoint.read(from: truncated) }
        // Moments missing.
        let file = try SafetensorsFile(contentsOf: run.checkpointURL)
        let kept = try file.tensorNames.filter { $0 != "adam.v.ln_f.bias" }.map { name in
            (name: name, shape: file.tensors[name]!.shape, values: try file.floats(named: name))
        }
        let missing = directory.appendingPathComponent("missing.safetensors")
        try SafetensorsWriter.write(kept, to: missing, metadata: file.metadata)
        #expect(throws: ModelLoadError.missingTensor(name: "adam.v.ln_f.bias", file: missing.path)) { try RegressionCheckpoint.read(from: missing) }
        // A step that does not match the data stream position.
        var metadata = file.metadata
        metadata["data_next_batch"] = "7"
        let moved = directory.appendingPathComponent("moved.safetensors")
        try SafetensorsWriter.write(file.tensorNames.map { (name: $0, shape: file.tensors[$0]!.shape, values: try file.floats(named: $0)) },
                                    to: moved, metadata: metadata)
        #expect(throws: ModelLoadError.self) { try RegressionCheckpoint.read(from: moved) }
    }

    @Test func evaluationHasOneRowPerEstimatorAndLength() throws {
        var generator = Xoshiro256StarStar(seed: 5)
        let configuration = try RegressionTransformerConfiguration(size: .tiny, inputDimension: 4, maxPoints: 12)
        let model = try RegressionTransformer(configuration: configuration, using: &generator)
        let conditions = RegressionEvaluationCondition.standard(dimensions: 4, points: 5, maxPoints: 12)
        #expect(conditions.map(\.name) == ["in-distribution", "longer-prompts", "skewed-covariance", "scaled-x-0.5", "scaled-x-2",
                                           "scaled-y-0.5", "scaled-y-2", "noisy-y-0.5", "orthogonal-query"])
        let rows = try RegressionEvaluation.evaluate(model, functionClass: .linear, conditions: conditions, prompts: 6, seed: 9)
        // 4 estimators × (5 lengths × 7 conditions + 10 for the longer prompts + 3 orthogonal-query lengths).
        #expect(rows.count == 4 * (5 * 7 + 10 + 3))
        #expect(Set(rows.map(\.estimator)) == ["transformer", "least-squares", "3-nearest-neighbours", "averaging"])
        #expect(rows.filter { $0.condition == "orthogonal-query" }.map(\.inContextExamples).sorted() == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])
        // Least squares is exact once k ≥ d on noiseless prompts; averaging is not.
        let exact = rows.filter { $0.condition == "in-distribution" && $0.estimator == "least-squares" && $0.inContextExamples == 4 }
        #expect(exact.count == 1 && exact[0].squaredErrorPerDimension < 1e-6)
        #expect(rows.allSatisfy { $0.squaredErrorPerDimension.isFinite && $0.prompts == 6 })
    }

    @Test func evaluationRefusesPromptsLongerThanThePositions() throws {
        var generator = Xoshiro256StarStar(seed: 6)
        let model = try RegressionTransformer(
            configuration: try RegressionTransformerConfiguration(size: .tiny, inputDimension: 3, maxPoints: 4), using: &generator)
        #expect(throws: TaskError.self) {
            try RegressionEvaluation.evaluate(model, functionClass: .linear,
                                              conditions: [RegressionEvaluationCondition(name: "long", shift: .none, points: 5)],
                                              prompts: 2, seed: 1)
        }
    }
}

@Suite struct RegressionTrainingOptionsTests {
    @Test func optionsRoundTripThroughJSON() throws {
        let options = try RegressionTrainingOptions(functionClass: .sparseLinear, dimensions: 8, points: 9, size: .small, seed: 7,
                                                    curriculumInterval: 50)
        #expect(options.curriculum.startDimensions == 5 && options.curriculum.interval == 50)
        let decoded = try JSONDecoder().decode(RegressionTrainingOptions.self, from: JSONEncoder().encode(options))
        #expect(decoded == options)
    }

    @Test func lyingStoredOptionsThrowInsteadOfCrashing() throws {
        let options = try RegressionTrainingOptions(dimensions: 4, points: 5, size: .tiny)
        let json = String(decoding: try JSONEncoder().encode(options), as: UTF8.self)
        for (from, to) in [("\"dimensions\":4", "\"dimensions\":0"), ("\"points\":5", "\"points\":500"),
                           ("\"batchSize\":64", "\"batchSize\":-1"), ("\"interval\":2000", "\"interval\":0")] {
            #expect(json.contains(from), "fixture JSON lacks \(from)")
            #expect(throws: TaskError.self) {
                try JSONDecoder().decode(RegressionTrainingOptions.self, from: Data(json.replacingOccurrences(of: from, with: to).utf8))
            }
        }
        #expect(throws: (any Error).self) { try RegressionTrainingOptions(dimensions: 2, points: 3, size: .tiny, curriculumInterval: 0) }
    }
}

/// A curve kept in memory (Bench keeps it in curve.csv).
struct MemoryCurve: RegressionCurveStore {
    var stored: [RegressionTrainingRecord] = []

    func records() -> [RegressionTrainingRecord] { stored }

    mutating func replace(with records: [RegressionTrainingRecord]) { stored = records }
}

import Foundation
import Methods
import ModelFormats
import Models
import Testing
import TestSupport
@testable import Bench

/// The regression stage of `bench --all` on the committed checkpoint.
@Suite struct ResultStoreRegressionTests {
    @Test func steeringRowsAreWrittenOnceAndTheTransformerMatchesTheEvaluation() throws {
        let checkpoint = SharedPaths.repositoryRoot.appendingPathComponent("results/regression/linear-d10-small/model.safetensors")
        try #require(FileManager.default.fileExists(atPath: checkpoint.path), "committed checkpoint missing: \(checkpoint.path)")
        let root = try makeTemporaryDirectory("regression-stage")
        defer { try? FileManager.default.removeItem(at: root) }
        var settings = RegressionSteeringSettings()
        settings.steps = 2
        settings.meanPrompts = 8
        settings.validationPrompts = 8
        settings.trainBatch = 4
        var stage = SteeringRegressionStage(checkpoints: [checkpoint], methods: [.site], settings: settings, prompts: 8, seed: 5, perPrompt: nil)
        try stage.runAll(resultsDirectory: root)
        let url = root.appendingPathComponent("regression/steering.csv")
        let rows = try CSVStore<RegressionResultRow>(url: url).rows
        #expect(Set(rows.map(\.method)) == ["transformer", "site"])
        let name = SteeringRegressionStage.checkpointName(checkpoint, currentDirectory: URL(fileURLWithPath: "/nowhere"))
        #expect(name == checkpoint.standardizedFileURL.path)
        #expect(rows.allSatisfy {
            $0.function == "linear" && $0.dims == 10 && $0.seed == 5 && $0.prompts == 8 && $0.squaredErrorPerDim.isFinite
                && $0.settingsHash.count == 12
        })
        #expect(Set(rows.map(\.key)).count == rows.count)
        #expect(Set(rows.map(\.condition)).contains("in-distribution"))

        // The transformer's rows are `bench regression eval`'s numbers for the same seed.
        let file = try SafetensorsFile(contentsOf: checkpoint)
        let model = try RegressionTransformer(checkpoint: file)
        let options = try RegressionCheckpoint.options(in: file)
        let expected = try RegressionEvaluation.evaluate(
            model, functionClass: options.functionClass,
            conditions: RegressionEvaluationCondition.standard(
                dimensions: options.dimensions, points: options.points, maxPoints: model.configuration.maxPoints),
            prompts: 8, seed: 5
        ).filter { $0.estimator == RegressionEvaluation.transformerName }
        let transformer = rows.filter { $0.method == "transformer" }
        // Equal up to float rounding: the steering benchmark batches the orthogonal-query prompts
        // differently (about 1e-8 relative there, bit-identical elsewhere).
        #expect(transformer.count == expected.count)
        for (row, e) in zip(transformer, expected) {
            #expect(row.condition == e.condition && row.inContextExamples == e.inContextExamples)
            #expect(abs(row.squaredErrorPerDim - e.squaredErrorPerDimension) <= 1e-6 * max(1, e.squaredErrorPerDimension),
                    "\(e.condition) k=\(e.inContextExamples)")
        }

        // A second run finds everything stored and adds nothing; a new method adds only its rows.
        let before = try String(contentsOf: url, encoding: .utf8)
        try stage.runAll(resultsDirectory: root)
        #expect(try String(contentsOf: url, encoding: .utf8) == before)
        stage.methods = [.site, .fv]
        try stage.runAll(resultsDirectory: root)
        let after = try CSVStore<RegressionResultRow>(url: url).rows
        #expect(Array(after.prefix(rows.count)) == rows)
        #expect(Set(after.dropFirst(rows.count).map(\.method)) == ["fv"])
    }

    /// The per-prompt protocol in `bench --all`: rows for every method and baseline under every
    /// condition, the figure, and nothing rerun the second time (only the figure redrawn).
    @Test func perPromptRowsAndFigureAreWrittenOnce() throws {
        let checkpoint = SharedPaths.repositoryRoot.appendingPathComponent("results/regression/linear-d10-small-16200/model.safetensors")
        try #require(FileManager.default.fileExists(atPath: checkpoint.path), "committed checkpoint missing: \(checkpoint.path)")
        let root = try makeTemporaryDirectory("per-prompt-stage")
        defer { try? FileManager.default.removeItem(at: root) }
        var settings = PromptSteeringSettings()
        settings.poolBatches = 2
        settings.batchSize = 2
        settings.epochs = 1
        settings.functionVectorPrompts = 4
        settings.evaluationPrompts = 2
        settings.evaluationStride = 40
        let folder = root.appendingPathComponent("per-prompt")
        let run = PerPromptSteeringRun(checkpoint: checkpoint, checkpointName: "m", folder: folder, methods: [.ltv, .fv],
                                       settings: settings, seed: 3, log: { _ in })
        try run.run()
        let url = folder.appendingPathComponent("steering.csv")
        let rows = try CSVStore<PromptSteeringResultRow>(url: url).rows
        #expect(Set(rows.map(\.method)) == ["transformer", "ltv", "fv", "least-squares", "3-nearest-neighbours", "averaging"])
        #expect(Set(rows.map(\.condition)).count == 6)
        // Transformer and baselines at every k of 84-point prompts; steered methods at k = 0, 40, 80.
        #expect(rows.filter { $0.method == "transformer" && $0.condition == "standard" }.map(\.inContextExamples) == Array(0..<84))
        #expect(rows.filter { $0.method == "ltv" && $0.condition == "standard" }.map(\.inContextExamples) == [0, 40, 80])
        #expect(rows.allSatisfy { $0.squaredError.isFinite && $0.squaredError >= 0 && $0.prompts == 2 && $0.dims == 10 && $0.seed == 3 })
        // Least squares is exact once k ≥ d on noiseless prompts.
        #expect(rows.filter { $0.method == "least-squares" && $0.condition == "standard" && $0.inContextExamples >= 12 }.allSatisfy { $0.squaredError < 1e-6 })
        let svg = try String(contentsOf: folder.appendingPathComponent("figure.svg"), encoding: .utf8)
        #expect(svg.contains(">x-normal-0.75-1.25</text>"))
        #expect(try Data(contentsOf: folder.appendingPathComponent("figure.png")).prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
        let before = try String(contentsOf: url, encoding: .utf8)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("figure.png"))
        try run.run()
        #expect(try String(contentsOf: url, encoding: .utf8) == before)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("figure.png").path))
    }
}

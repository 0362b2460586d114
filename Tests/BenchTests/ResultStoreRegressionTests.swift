import Foundation
import Methods
import ModelFormats
import Models
import Testing
import TestSupport
@testable import Bench

/// The regression stage of `bench --all` on the committed checkpoint.
@Suite struct ResultStoreRegressionTests {
    @Test func transformerRowsAreWrittenOnceAndMatchTheEvaluation() throws {
        let checkpoint = SharedPaths.repositoryRoot.appendingPathComponent("results/regression/linear-d10-small/model.safetensors")
        try #require(FileManager.default.fileExists(atPath: checkpoint.path), "committed checkpoint missing: \(checkpoint.path)")
        let root = try makeTemporaryDirectory("regression-stage")
        defer { try? FileManager.default.removeItem(at: root) }
        let stage = TransformerRegressionStage(checkpoints: [checkpoint], prompts: 8, seed: 5)
        try stage.runAll(resultsDirectory: root)
        let url = root.appendingPathComponent("regression/steering.csv")
        let rows = try CSVStore<RegressionResultRow>(url: url).rows
        #expect(!rows.isEmpty)
        #expect(rows.allSatisfy {
            $0.checkpoint == "linear-d10-small" && $0.function == "linear" && $0.dims == 10 && $0.method == "transformer"
                && $0.seed == 5 && $0.prompts > 0 && $0.squaredErrorPerDim.isFinite && $0.settings == "prompts=8"
        })
        #expect(Set(rows.map(\.key)).count == rows.count)
        #expect(Set(rows.map(\.condition)).contains("in-distribution"))

        // The same numbers as `bench regression eval` computes.
        let file = try SafetensorsFile(contentsOf: checkpoint)
        let model = try RegressionTransformer(checkpoint: file)
        let options = try RegressionCheckpoint.options(in: file)
        let expected = try RegressionEvaluation.evaluate(
            model, functionClass: options.functionClass,
            conditions: RegressionEvaluationCondition.standard(
                dimensions: options.dimensions, points: options.points, maxPoints: model.configuration.maxPoints),
            prompts: 8, seed: 5
        ).filter { $0.estimator == RegressionEvaluation.transformerName }
        #expect(rows.map(\.squaredErrorPerDim) == expected.map(\.squaredErrorPerDimension))
        #expect(rows.map(\.condition) == expected.map(\.condition))

        // A second run finds the checkpoint stored and adds nothing.
        let before = try String(contentsOf: url, encoding: .utf8)
        try stage.runAll(resultsDirectory: root)
        #expect(try String(contentsOf: url, encoding: .utf8) == before)
    }
}

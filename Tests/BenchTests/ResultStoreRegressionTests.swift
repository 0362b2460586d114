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
        var stage = SteeringRegressionStage(checkpoints: [checkpoint], methods: [.site], settings: settings, prompts: 8, seed: 5)
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
}

import Foundation
import ModelFormats
import Methods
import Models

/// The regression stage of `bench --all` until the steering methods are wired: the committed
/// checkpoint's own error (method "transformer") in every condition, as `bench regression eval`
/// computes it, appended to results/regression/steering.csv (cells already there are skipped).
struct TransformerRegressionStage: RegressionBenchmarkStage {
    /// Relative to the results folder.
    var checkpoints = ["regression/linear-d10-small/model.safetensors"]
    var prompts = 1280
    var seed: UInt64 = 1

    func runAll(resultsDirectory: URL) throws {
        var store = try CSVStore<RegressionResultRow>(url: resultsDirectory.appendingPathComponent("regression/steering.csv"))
        let codeVersion = RunProvenance.codeVersion()
        let settings = "prompts=\(prompts)"
        let settingsHash = String(SHA256.hexDigest(of: Array("\(settings);seed=\(seed)".utf8)).prefix(12))
        for path in checkpoints {
            let url = resultsDirectory.appendingPathComponent(path)
            let checkpointName = url.deletingLastPathComponent().lastPathComponent
            let done = Set(store.rows.filter { $0.checkpoint == checkpointName && $0.method == "transformer" && $0.settingsHash == settingsHash }
                .map(\.key))
            let file = try SafetensorsFile(contentsOf: url)
            let model = try RegressionTransformer(checkpoint: file)
            let options = try RegressionCheckpoint.options(in: file)
            let conditions = RegressionEvaluationCondition.standard(
                dimensions: options.dimensions, points: options.points, maxPoints: model.configuration.maxPoints)
            let start = Date()
            let rows = try RegressionEvaluation.evaluate(
                model, functionClass: options.functionClass, conditions: conditions, prompts: prompts, seed: seed)
            let seconds = Date().timeIntervalSince(start)
            for row in rows where row.estimator == RegressionEvaluation.transformerName {
                let result = RegressionResultRow(
                    checkpoint: checkpointName, function: options.functionClass.rawValue, dims: options.dimensions,
                    method: "transformer", condition: row.condition, inContextExamples: row.inContextExamples,
                    squaredErrorPerDim: row.squaredErrorPerDimension, prompts: row.prompts, seed: seed, settingsHash: settingsHash,
                    settings: settings, prepSeconds: seconds, codeVersion: codeVersion, finishedAt: RunProvenance.timestamp())
                if !done.contains(result.key) { try store.append(result) }
            }
            print("regression: \(checkpointName) → \(store.url.path)")
        }
    }
}

import Foundation
import ModelFormats
import Methods
import Models

/// The regression stage of `bench --all` until the steering methods are wired: the committed
/// checkpoint's own error (method "transformer") in every condition, as `bench regression eval`
/// computes it, added to results/regression/steering.csv. A checkpoint's rows are written in one
/// replace, so a checkpoint with any row stored is complete and is not evaluated again.
struct TransformerRegressionStage: RegressionBenchmarkStage {
    /// Checkpoints; nil for results/regression/linear-d10-small/model.safetensors under the
    /// results folder.
    var checkpoints: [URL]?
    var prompts = 1280
    var seed: UInt64 = 1

    func runAll(resultsDirectory: URL) throws {
        var store = try CSVStore<RegressionResultRow>(url: resultsDirectory.appendingPathComponent("regression/steering.csv"))
        let codeVersion = RunProvenance.codeVersion()
        let settings = "prompts=\(prompts)"
        let settingsHash = String(SHA256.hexDigest(of: Array("\(settings);seed=\(seed)".utf8)).prefix(12))
        let urls = checkpoints ?? [resultsDirectory.appendingPathComponent("regression/linear-d10-small/model.safetensors")]
        for url in urls {
            let checkpointName = url.deletingLastPathComponent().lastPathComponent
            if store.rows.contains(where: {
                $0.checkpoint == checkpointName && $0.method == RegressionEvaluation.transformerName && $0.seed == seed
                    && $0.settingsHash == settingsHash
            }) {
                print("regression: \(checkpointName) already in \(store.url.path)")
                continue
            }
            let file = try SafetensorsFile(contentsOf: url)
            let model = try RegressionTransformer(checkpoint: file)
            let options = try RegressionCheckpoint.options(in: file)
            let conditions = RegressionEvaluationCondition.standard(
                dimensions: options.dimensions, points: options.points, maxPoints: model.configuration.maxPoints)
            let start = Date()
            let rows = try RegressionEvaluation.evaluate(
                model, functionClass: options.functionClass, conditions: conditions, prompts: prompts, seed: seed)
            let seconds = Date().timeIntervalSince(start)
            let finishedAt = RunProvenance.timestamp()
            try store.append(contentsOf: rows.filter { $0.estimator == RegressionEvaluation.transformerName }.map { row in
                RegressionResultRow(
                    checkpoint: checkpointName, function: options.functionClass.rawValue, dims: options.dimensions,
                    method: RegressionEvaluation.transformerName, condition: row.condition, inContextExamples: row.inContextExamples,
                    squaredErrorPerDim: row.squaredErrorPerDimension, prompts: row.prompts, seed: seed, settingsHash: settingsHash,
                    settings: settings, prepSeconds: seconds, codeVersion: codeVersion, finishedAt: finishedAt)
            })
            print("regression: \(checkpointName) → \(store.url.path)")
        }
    }
}

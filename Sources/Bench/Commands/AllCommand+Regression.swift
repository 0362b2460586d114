import Foundation
import ModelFormats
import Methods
import Models

/// The regression stage of `bench --all`: on each checkpoint, the per-prompt protocol (the LTV
/// paper's, `PerPromptSteeringRun` into results/regression/per-prompt/, as `bench regression steer`
/// runs it, with `perPrompt`'s settings), then the pooled one: the plain transformer and FV, LTV and
/// SITE steering (`RegressionSteeringBenchmark`) added to results/regression/steering.csv. A method with any row stored for (checkpoint, seed,
/// settings hash) is done: each run's rows are written in one atomic replace, so rows of a
/// method are all there or none.
struct SteeringRegressionStage: RegressionBenchmarkStage {
    /// Checkpoints; nil for the committed 16,200-step transformer (the one that meets the accuracy
    /// bar), regression/linear-d10-small-16200/model.safetensors under the results folder.
    var checkpoints: [URL]?
    var methods = RegressionSteeringKind.allCases
    var settings = RegressionSteeringSettings()
    /// Evaluation prompts per (condition, k): 256, not `bench regression steer`'s 1,280, because
    /// every steered prompt prefix is its own forward; 256 took 20 minutes on the 2-core machine
    /// (1,280: about 5× that). The row's `prompts` column says which was used.
    var prompts = 256
    var seed: UInt64 = 0
    /// The per-prompt protocol's settings: the defaults with steered methods scored every 2nd k
    /// (the committed run's; every k doubles its ~20 minutes on the 2-core machine); nil skips it.
    var perPrompt: PromptSteeringSettings? = {
        var settings = PromptSteeringSettings()
        settings.evaluationStride = 2
        return settings
    }()

    /// The checkpoint column: the path relative to the current folder when inside it (as
    /// `bench regression steer --checkpoint results/...` writes it), else the absolute path.
    static func checkpointName(_ url: URL, currentDirectory: URL) -> String {
        let base = currentDirectory.standardizedFileURL.path + "/"
        let path = url.standardizedFileURL.path
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }

    func runAll(resultsDirectory: URL) throws {
        var store = try CSVStore<RegressionResultRow>(url: resultsDirectory.appendingPathComponent("regression/steering.csv"))
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        let urls = checkpoints ?? [resultsDirectory.appendingPathComponent("regression/linear-d10-small-16200/model.safetensors")]
        for url in urls {
            let name = Self.checkpointName(url, currentDirectory: cwd)
            if let perPrompt {
                try PerPromptSteeringRun(checkpoint: url, checkpointName: name, folder: resultsDirectory.appendingPathComponent("regression/per-prompt"),
                                         methods: methods, settings: perPrompt, seed: seed).run()
            }
            let file = try SafetensorsFile(contentsOf: url)
            let model = try RegressionTransformer(checkpoint: file)
            let options = try RegressionCheckpoint.options(in: file)
            func done(_ kind: RegressionSteeringKind?) -> Bool {
                let hash = RegressionSteeringBenchmark.settingsHash(settings.settings(for: kind, layerCount: model.configuration.layerCount))
                let method = kind?.rawValue ?? RegressionSteeringBenchmark.transformerMethod
                return store.rows.contains { $0.checkpoint == name && $0.method == method && $0.seed == seed && $0.settingsHash == hash }
            }
            let todo = methods.filter { !done($0) }
            let withTransformer = !done(nil)
            if todo.isEmpty && !withTransformer {
                print("regression: \(name) already in \(store.url.path)")
                continue
            }
            let rows = try RegressionSteeringBenchmark.run(
                model: model, functionClass: options.functionClass, trainedPoints: options.points, checkpointName: name,
                methods: todo, prompts: prompts, seed: seed, settings: settings, includeTransformer: withTransformer)
            let codeVersion = RunProvenance.codeVersion, finishedAt = RunProvenance.timestamp()
            try store.append(contentsOf: rows.map { RegressionResultRow($0, codeVersion: codeVersion, finishedAt: finishedAt) })
            print("regression: \(name): \(rows.count) rows → \(store.url.path)")
        }
    }
}

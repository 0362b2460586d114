import Foundation
import Methods
import Models
import Tasks

/// The SITE head analysis of `bench --all`: for each model whose SITE artifacts (the sweep's SITE
/// settings, first seed and precision) are stored for all of `tasks` (the text sweep stores
/// them as it runs SITE), the analysis over those tasks under the sweep's scoring and item cap,
/// into `<results>/heads/<model>/` (`HeadAnalysisRun`); stored cells are reused. A model with some
/// artifacts missing (a checkout whose SITE rows were made on another machine) is passed over
/// with a note naming the command that trains them, so tables over all tasks are never replaced
/// by tables over the few at hand.
struct SITEHeadsStage: HeadsStage {
    /// The tasks analysed, in table order.
    var tasks = TaskRegistry.site57Names

    func runAll(models: [String], sweep: SweepOptions, modelStore: ModelStore, resultsDirectory: URL) -> [SweepProgress.Failure] {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        var failures = [SweepProgress.Failure]()
        if sweep.siteTaskAgnostic {
            standardError("heads: passed over, task-agnostic SITE (--site-task-agnostic) stores no per-task artifact to analyse")
            return failures
        }
        for name in models {
            do {
                let lm = try modelStore.loadModel(name, compute: sweep.compute)
                let seed = try sweep.seedList()[0]
                let native = NativeBackend(model: lm)
                let analysis = HeadAnalysisRun(
                    model: lm, backend: { native }, cache: ArtifactCache(root: DataDirectory.absolute(sweep.artifacts, from: cwd)),
                    data: DataDirectory.resolve(flag: sweep.dataDir, environment: ProcessInfo.processInfo.environment, currentDirectory: cwd),
                    seed: seed, site: SoftInjectionMethod(settings: sweep.hyperparameters.site), backendSettings: native.settings,
                    tasks: tasks, output: resultsDirectory.appendingPathComponent("heads"),
                    options: EvaluationOptions(scoring: sweep.scoring, maxItems: sweep.maxItems, batchSize: sweep.batchSize))
                let settings = analysis.settings
                let missing = try tasks.filter { try !analysis.cache.contains(model: lm.name, method: .site, task: $0, settings: settings) }
                if !missing.isEmpty {
                    standardError("heads \(lm.name): passed over, \(missing.count) of \(tasks.count) tasks have no SITE artifact here "
                        + "(first: \(missing[0])); `bench heads --model \(lm.name) --prepare` trains them and analyses")
                    continue
                }
                try analysis.run()
            } catch {
                standardError("heads \(name): \(error)")
                failures.append(.init(cell: "heads \(name)", reason: "\(error)"))
            }
        }
        return failures
    }
}

import ArgumentParser
import Foundation
import Methods
import Models
import Tasks

/// `bench heads`: the SITE head analysis from stored SITE artifacts.
struct HeadsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heads",
        abstract: "Analyse SITE's learned head weights α: heatmaps, top-k overlap, cross-task injection, top vs bottom heads.",
        discussion: """
            Reads the SITE artifacts of --seed (one seed), --compute (or the torch backend's options) and SITE's \
            settings (--site-prompts, --site-shots, --site-steps, --site-lr; defaults otherwise) from \
            results/artifacts/<model>/site/<task> (written by `bench run --methods site`), and writes under \
            results/heads/<model>/ (under a subfolder named by the settings hash for any settings but the \
            defaults with seed 0 in float32): alpha-<task>.svg and alpha-mean.svg (layers × heads), top<k>-overlap.csv/.md \
            (Jaccard overlap of the top-k α heads between tasks), cross-task.csv/.md (α of task A with the task \
            embedding of task B, accuracy on A's test items; the diagonal is SITE) and patching.csv/.md (the task \
            embedding patched with α = 1 into only the k highest-α or only the k lowest-α heads). Each evaluation is stored \
            in cells.csv as it finishes, so a stopped or widened analysis evaluates only what it lacks. \
            --prepare first trains the SITE artifacts the tasks lack (as `bench run --methods site` would, \
            --joint-tasks at a time), so the analysis runs on a machine that has the result rows but no artifacts; \
            each group's cells are evaluated and stored as soon as its artifacts are. An item cap (--max-items N) \
            writes the tables under a cap<N> subfolder.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var backend: BackendOptions
    /// Test-item cap, scoring, data, artifacts, batch size, compute and the one seed whose
    /// artifacts are analysed, shared with `bench run` (the root command declares the same group);
    /// SITE's settings (--site-*) name the artifacts analysed and prepared; the flags it does not read are refused.
    @OptionGroup var sweep: SweepOptions

    @Option(help: "Comma-separated tasks, or all (default: every task with a SITE artifact; with --prepare, all).")
    var tasks: CommaList?

    @Flag(help: "Prepare the SITE artifacts the tasks lack before analysing (stored artifacts are reused).")
    var prepare = false

    @Option(help: "Folder the analysis is written under (a subfolder per model).")
    var output: String = "results/heads"

    @Option(help: "Heads in the top-k overlap and in the top/bottom patching.")
    var topK: Int = 10

    @Option(help: "Tasks (the first ones) in the cross-task matrix; 0 skips it.")
    var crossTasks: Int = 4

    @Flag(help: "Only the heatmaps and the overlap table (no evaluation).")
    var noEvaluation = false

    func validate() throws {
        if topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if crossTasks < 0 { throw ValidationError("--cross-tasks must not be negative") }
        try backend.check(compute: sweep.compute)
        if try sweep.seedList().count != 1 { throw ValidationError("--seed: bench heads analyses the artifacts of one seed") }
        if sweep.siteTaskAgnostic {
            throw ValidationError("--site-task-agnostic: one α shared by the tasks is trained with them and stored as no task's artifact; bench heads analyses per-task SITE")
        }
        // Flags the analysis would otherwise ignore: a --shots meant for SITE's prompts, say, would
        // leave the default artifacts analysed under the user's belief that it had changed them.
        let unread = try sweep.setFlags(among: [.shots, .fvHeads, .fvLayer, .ltvProfile, .results, .answers, .manifest, .journalPartTokens])
        if !unread.isEmpty {
            throw ValidationError("\(unread.map(\.rawValue).joined(separator: ", ")): bench heads does not read \(unread.count == 1 ? "it" : "them") (SITE's settings are --site-prompts, --site-shots, --site-steps and --site-lr; the analysis writes under --output)")
        }
    }

    func run() throws {
        threads.apply()
        let (lm, location) = try model.loadWithLocation(compute: sweep.compute)
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let seed = try sweep.seedList()[0]
        let backend = self.backend
        // The backend starts only when something runs the model (the heatmaps read the artifacts alone).
        var started: (any ModelBackend)?
        func runner() throws -> any ModelBackend {
            if let started { return started }
            let made = try backend.resolved(model: lm, location: location)
            started = made
            return made
        }
        try HeadAnalysisRun(
            model: lm, backend: runner, cache: ArtifactCache(root: DataDirectory.absolute(sweep.artifacts, from: cwd)),
            data: DataDirectory.resolve(flag: sweep.dataDir, environment: ProcessInfo.processInfo.environment, currentDirectory: cwd),
            seed: seed,
            site: SoftInjectionMethod(settings: sweep.hyperparameters.site), backendSettings: backend.settings(compute: sweep.compute),
            tasks: tasks.map { $0.isAll ? TaskRegistry.site57Names : $0.items }, prepare: prepare, jointTasks: sweep.jointTasks,
            output: URL(fileURLWithPath: output, relativeTo: cwd), topK: topK, crossTasks: crossTasks,
            options: EvaluationOptions(scoring: sweep.scoring, maxItems: sweep.maxItems, batchSize: sweep.batchSize),
            evaluate: !noEvaluation
        ).run()
    }
}

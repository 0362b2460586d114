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
            Reads the SITE artifacts of --seed (one seed) and --compute (or the torch backend's options) with the \
            method's default settings from results/artifacts/<model>/site/<task> (written by `bench run --methods site`), \
            and writes under \
            results/heads/<model>/ (under a subfolder named by the settings hash for any settings but the \
            default seed 0 in float32): alpha-<task>.svg and alpha-mean.svg (layers × heads), top<k>-overlap.csv/.md \
            (Jaccard overlap of the top-k α heads between tasks), cross-task.csv/.md (α of task A with the task \
            embedding of task B, accuracy on A's test items; the diagonal is SITE) and patching.csv/.md (the task \
            embedding patched with α = 1 into only the k highest-α or only the k lowest-α heads). Each evaluation is stored \
            in cells.csv as it finishes, so a stopped or widened analysis evaluates only what it lacks. \
            --prepare first trains the SITE artifacts the tasks lack (as `bench run --methods site` would, \
            --joint-tasks at a time), so the analysis runs on a machine that has the result rows but no artifacts.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var backend: BackendOptions
    /// Test-item cap, scoring, data, artifacts, batch size, compute and the one seed whose
    /// artifacts are analysed, shared with `bench run` (the root command declares the same group);
    /// method settings do not apply here.
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
    }

    func run() throws {
        threads.apply()
        let (lm, location) = try model.loadWithLocation(compute: sweep.compute)
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let cache = ArtifactCache(root: DataDirectory.absolute(sweep.artifacts, from: cwd))
        let settings = SoftInjectionMethod().artifactSettings(seed: try sweep.seedList()[0], model: lm.name)
            .merging(backend.settings(compute: sweep.compute))
        let data = DataDirectory.resolve(flag: sweep.dataDir, environment: ProcessInfo.processInfo.environment, currentDirectory: cwd)
        // The backend starts only when something runs the model (the heatmaps read the artifacts alone).
        var started: (any ModelBackend)?
        func runner() throws -> any ModelBackend {
            if let started { return started }
            let made = try backend.resolved(model: lm, location: location)
            started = made
            return made
        }
        let heads = lm.decoder.configuration.layerCount * lm.decoder.configuration.attentionHeads
        if topK > heads { throw ValidationError("--top-k \(topK) exceeds the model's \(heads) heads") }
        let options = EvaluationOptions(scoring: sweep.scoring, maxItems: sweep.maxItems, batchSize: sweep.batchSize)
        let modelFolder = URL(fileURLWithPath: output, relativeTo: cwd).appendingPathComponent(lm.name)
        var cells: HeadCells?
        func evaluator() throws -> HeadCells {
            if let cells { return cells }
            return try HeadCells(url: modelFolder.appendingPathComponent("cells.csv"), model: lm, backend: try runner(), data: data,
                                 options: options, settingsHash: settings.hash, topK: topK)
        }

        var asked = tasks.map { $0.isAll ? TaskRegistry.site57Names : $0.items }
        if prepare {
            let names = asked ?? TaskRegistry.site57Names
            // Each group's cells are evaluated and stored as soon as its artifacts are, so that a
            // long preparation that stops keeps the cells of every group it finished.
            try prepareArtifacts(names, model: lm, backend: try runner(), data: data, cache: cache) { _ in
                if noEvaluation { return }
                let present = try names.filter { try cache.contains(model: lm.name, method: .site, task: $0, settings: settings) }
                var evaluation = try evaluator()
                try evaluation.evaluateMissing(try SITEArtifact.loadAll(from: cache, model: lm.name, settings: settings, tasks: present),
                                               crossTasks: Array(names.prefix(crossTasks)))
                cells = evaluation
            }
            asked = names
        }
        let found = try SITEArtifact.loadAll(from: cache, model: lm.name, settings: settings, tasks: asked)
        let otherSettingsOnly = SITEArtifact.tasks(in: cache, model: lm.name).subtracting(found.map(\.task)).sorted()
        if asked == nil && !otherSettingsOnly.isEmpty {
            standardError("left out: \(otherSettingsOnly.count) task(s) with SITE artifacts of other settings only (\(otherSettingsOnly.joined(separator: ", ")))")
        }
        let folder = Self.tablesFolder(modelFolder, settings: settings, model: lm.name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func write(_ text: String, _ name: String) throws {
            try Data(text.utf8).write(to: folder.appendingPathComponent(name))
            print("wrote \(folder.appendingPathComponent(name).path)")
        }

        // Heatmaps: one per task and the mean over tasks; those of tasks no longer analysed go.
        for stale in try Self.staleHeatmaps(in: folder, tasks: found.map(\.task)) {
            try FileManager.default.removeItem(at: stale)
            print("removed \(stale.path) (its task has no SITE artifact of these settings)")
        }
        for artifact in found {
            try write(HeadHeatmap(values: table(artifact.alphas.scalars, heads: artifact.headCount),
                                  title: "SITE α, \(lm.name), task \(artifact.task)").svg(), "alpha-\(artifact.task).svg")
        }
        let mean = meanAlphas(found)
        try write(HeadHeatmap(values: mean, title: "SITE α, \(lm.name), mean over \(found.count) tasks").svg(), "alpha-mean.svg")

        let overlap = HeadOverlapTable(tasks: found.map(\.task), topHeads: found.map { Set($0.topHeads(topK)) }, k: topK)
        try write(overlap.csv(), "top\(topK)-overlap.csv")
        try write(overlap.markdown(), "top\(topK)-overlap.md")
        print(overlap.markdown())
        if noEvaluation { return }

        var evaluation = try evaluator()
        let crossNames = found.prefix(crossTasks).map(\.task)
        try evaluation.evaluateMissing(found, crossTasks: crossNames)
        // Every cell is stored now.
        func cell(_ experiment: HeadExperiment, on task: String) -> HeadEvaluationCell {
            guard let cell = evaluation.cell(experiment, task: task) else { preconditionFailure("heads: no cell \(experiment) of \(task)") }
            return cell
        }

        if !crossNames.isEmpty {
            let matrix = crossNames.map { a in crossNames.map { b in cell(.crossTask(alphaOf: a, embeddingOf: b), on: a) } }
            let report = CrossTaskReport(tasks: crossNames, accuracy: matrix.map { $0.map(\.accuracy) }, items: matrix.map { $0[0].items })
            try write(report.csv(), "cross-task.csv")
            try write(report.markdown(), "cross-task.md")
            print(report.markdown())
        }

        var patching = PatchingReport(k: topK)
        for artifact in found {
            let site = cell(.site, on: artifact.task), highest = cell(.highest(topK), on: artifact.task)
            let lowest = cell(.lowest(topK), on: artifact.task)
            patching.rows.append(.init(task: artifact.task, site: site.accuracy, highest: highest.accuracy, lowest: lowest.accuracy, items: site.items))
        }
        try write(patching.csv(), "patching.csv")
        try write(patching.markdown(), "patching.md")
        print(patching.markdown())
    }

    /// Trains into `cache` the SITE artifacts (default settings, this seed) that the tasks `names` lack.
    /// - Parameter finished: called after each group is stored (`prepareMissing`).
    private func prepareArtifacts(
        _ names: [String], model lm: LanguageModel, backend: any ModelBackend, data: DataDirectory, cache: ArtifactCache,
        finished: ([String]) throws -> Void
    ) throws {
        let seed = try sweep.seedList()[0]
        let contexts = try names.map { name -> MethodContext in
            let task = try TaskRegistry.site57.task(named: name)
            let splits = try task.loadSplits(from: data)
            return MethodContext(model: lm, task: task, train: splits.train, valid: splits.valid, seed: seed, backend: backend)
        }
        let prepared = try SoftInjectionMethod().prepareMissing(
            contexts, cache: cache, groupSize: sweep.jointTasks, starting: { standardError("preparing SITE on \($0.joined(separator: ", "))") },
            finished: finished)
        standardError("SITE artifacts: \(prepared.count) prepared, \(names.count - prepared.count) already stored")
    }

    /// Where the heatmaps and tables of artifacts of `settings` go: `modelFolder` itself for SITE's
    /// default settings on the native engine in float32 with seed 0, else its subfolder named by the
    /// first 16 hex digits of the settings hash, so that a bfloat16 or another seed's analysis
    /// replaces none of the default tables. `cells.csv` stays in `modelFolder` (its rows carry the hash).
    static func tablesFolder(_ modelFolder: URL, settings: SettingsText, model: String) -> URL {
        if settings == SoftInjectionMethod().artifactSettings(seed: 0, model: model) { return modelFolder }
        return modelFolder.appendingPathComponent(String(settings.hash.prefix(16)))
    }

    /// The task heatmaps (`alpha-<task>.svg`) in `folder` of tasks not in `tasks`: left from an
    /// earlier analysis, they would sit beside tables that do not include them.
    static func staleHeatmaps(in folder: URL, tasks: [String]) throws -> [URL] {
        let keep = Set(tasks.map { "alpha-\($0).svg" } + ["alpha-mean.svg"])
        return try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasPrefix("alpha-") && $0.hasSuffix(".svg") && !keep.contains($0) }
            .sorted()
            .map { folder.appendingPathComponent($0) }
    }

    /// (L·H) row-major values as an (L, H) table.
    func table(_ values: [Float], heads h: Int) -> [[Double]] {
        stride(from: 0, to: values.count, by: h).map { values[$0..<($0 + h)].map(Double.init) }
    }

    /// The mean α over tasks, (L, H).
    func meanAlphas(_ artifacts: [SITEArtifact]) -> [[Double]] {
        var sum = [Double](repeating: 0, count: artifacts[0].alphaLogits.scalars.count)
        for a in artifacts { for (i, v) in a.alphas.scalars.enumerated() { sum[i] += Double(v) } }
        return table(sum.map { Float($0 / Double(artifacts.count)) }, heads: artifacts[0].headCount)
    }
}

import ArgumentParser
import Foundation
import Methods
import Models
import Tasks

/// One SITE head analysis of one model under one setting and item cap: the α heatmaps and the
/// top-k overlap of the tasks' stored artifacts (trained first with `prepare`), then the
/// evaluations (each stored in `cells.csv` as it finishes) and the cross-task and patching tables,
/// written under `output/<model>/` (`tablesFolder`). `bench heads` and `bench --all` run it.
struct HeadAnalysisRun {
    var model: LanguageModel
    /// Starts the backend the preparations and evaluations run on; called only when one runs.
    var backend: () throws -> any ModelBackend
    var cache: ArtifactCache
    var data: DataDirectory
    /// The seed of the artifacts analysed (and of those prepared).
    var seed: UInt64
    /// The SITE whose artifacts are analysed (and prepared): its settings name them.
    var site = SoftInjectionMethod()
    /// The backend's settings (`ModelBackend.settings`), part of the artifacts' names.
    var backendSettings: [String: String] = [:]
    /// The tasks, in table order; nil: every task with an artifact of `settings` (all 57 with `prepare`).
    var tasks: [String]?
    /// Train the SITE artifacts the tasks lack, `jointTasks` at a time, before analysing.
    var prepare = false
    var jointTasks = Sweep.defaultJointGroupSize
    /// The folder the analysis is written under (a subfolder per model).
    var output: URL
    var topK = 10
    /// Tasks (the first ones) in the cross-task matrix; 0 skips it.
    var crossTasks = 4
    var options: EvaluationOptions
    /// false: only the heatmaps and the overlap table.
    var evaluate = true

    /// The analysed artifacts' settings: `site`'s for `seed` and the model, with the backend's.
    var settings: SettingsText { site.artifactSettings(seed: seed, model: model.name, backend: backendSettings) }

    /// - Throws: `ValidationError` for a top-k above the model's heads; what loading, preparing,
    ///   evaluating or writing throws (`HeadAnalysisError` names a missing or unreadable artifact).
    func run() throws {
        let configuration = model.decoder.configuration
        let heads = configuration.layerCount * configuration.attentionHeads
        if topK > heads { throw ValidationError("--top-k \(topK) exceeds the model's \(heads) heads") }
        let modelFolder = output.appendingPathComponent(model.name)
        let settings = self.settings
        var cells: HeadCells?
        func evaluator() throws -> HeadCells {
            if let cells { return cells }
            let made = try HeadCells(url: modelFolder.appendingPathComponent("cells.csv"), model: model, backend: try backend(),
                                     data: data, options: options, settingsHash: settings.hash, topK: topK)
            cells = made
            return made
        }

        var asked = tasks
        if prepare {
            let names = tasks ?? TaskRegistry.site57Names
            // Each group's cells are evaluated and stored as soon as its artifacts are, so that a
            // long preparation that stops keeps the cells of every group it finished.
            try prepareArtifacts(names) { _ in
                if !evaluate { return }
                let present = try names.filter { try cache.contains(model: model.name, method: .site, task: $0, settings: settings) }
                var evaluation = try evaluator()
                try evaluation.evaluateMissing(try SITEArtifact.loadAll(from: cache, model: model.name, settings: settings, tasks: present),
                                               crossTasks: Array(names.prefix(crossTasks)))
                cells = evaluation
            }
            asked = names
        }
        let found = try SITEArtifact.loadAll(from: cache, model: model.name, settings: settings, tasks: asked)
        let otherSettingsOnly = SITEArtifact.tasks(in: cache, model: model.name).subtracting(found.map(\.task)).sorted()
        if asked == nil && !otherSettingsOnly.isEmpty {
            standardError("left out: \(otherSettingsOnly.count) task(s) with SITE artifacts of other settings only (\(otherSettingsOnly.joined(separator: ", ")))")
        }
        let folder = Self.tablesFolder(modelFolder, settings: settings, model: model.name, maxItems: options.maxItems)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try writeMaps(found, in: folder)
        if !evaluate { return }

        var evaluation = try evaluator()
        let crossNames = found.prefix(crossTasks).map(\.task)
        try evaluation.evaluateMissing(found, crossTasks: crossNames)
        try writeEvaluations(found, crossTasks: crossNames, from: evaluation, in: folder)
    }

    /// Writes `text` to `folder`/`name` and says so.
    private func write(_ text: String, _ name: String, in folder: URL) throws {
        try Data(text.utf8).write(to: folder.appendingPathComponent(name))
        print("wrote \(folder.appendingPathComponent(name).path)")
    }

    /// The α heatmaps (each task's and their mean) and the top-k overlap table; heatmaps of tasks
    /// no longer analysed are removed.
    private func writeMaps(_ found: [SITEArtifact], in folder: URL) throws {
        for stale in try Self.staleHeatmaps(in: folder, tasks: found.map(\.task)) {
            try FileManager.default.removeItem(at: stale)
            print("removed \(stale.path) (its task has no SITE artifact of these settings)")
        }
        for artifact in found {
            try write(HeadHeatmap(values: Self.table(artifact.alphas.scalars, heads: artifact.headCount),
                                  title: "SITE α, \(model.name), task \(artifact.task)").svg(), "alpha-\(artifact.task).svg", in: folder)
        }
        try write(HeadHeatmap(values: Self.meanAlphas(found), title: "SITE α, \(model.name), mean over \(found.count) tasks").svg(),
                  "alpha-mean.svg", in: folder)
        let overlap = HeadOverlapTable(tasks: found.map(\.task), topHeads: found.map { Set($0.topHeads(topK)) }, k: topK)
        try write(overlap.csv(), "top\(topK)-overlap.csv", in: folder)
        try write(overlap.markdown(), "top\(topK)-overlap.md", in: folder)
        print(overlap.markdown())
    }

    /// The cross-task and patching tables from the stored cells.
    /// - Precondition: `cells` holds every cell of `found`'s tasks and of the cross-task matrix.
    private func writeEvaluations(_ found: [SITEArtifact], crossTasks crossNames: [String], from cells: HeadCells, in folder: URL) throws {
        func cell(_ experiment: HeadExperiment, on task: String) -> HeadEvaluationCell {
            guard let cell = cells.cell(experiment, task: task) else { preconditionFailure("heads: no cell \(experiment) of \(task)") }
            return cell
        }
        if !crossNames.isEmpty {
            let matrix = crossNames.map { a in crossNames.map { b in cell(.crossTask(alphaOf: a, embeddingOf: b), on: a) } }
            let report = CrossTaskReport(tasks: crossNames, accuracy: matrix.map { $0.map(\.accuracy) }, items: matrix.map { $0[0].items })
            try write(report.csv(), "cross-task.csv", in: folder)
            try write(report.markdown(), "cross-task.md", in: folder)
            print(report.markdown())
        }
        var patching = PatchingReport(k: topK)
        for artifact in found {
            let site = cell(.site, on: artifact.task), highest = cell(.highest(topK), on: artifact.task)
            let lowest = cell(.lowest(topK), on: artifact.task)
            patching.rows.append(.init(task: artifact.task, site: site.accuracy, highest: highest.accuracy, lowest: lowest.accuracy, items: site.items))
        }
        try write(patching.csv(), "patching.csv", in: folder)
        try write(patching.markdown(), "patching.md", in: folder)
        print(patching.markdown())
    }

    /// Trains into `cache` the SITE artifacts (`site`'s settings, this seed) that the tasks `names` lack.
    /// - Parameter finished: called after each group is stored (`prepareMissing`).
    private func prepareArtifacts(_ names: [String], finished: ([String]) throws -> Void) throws {
        let runner = try backend()
        let contexts = try names.map { name -> MethodContext in
            let task = try TaskRegistry.site57.task(named: name)
            let splits = try task.loadSplits(from: data)
            return MethodContext(model: model, task: task, train: splits.train, valid: splits.valid, seed: seed, backend: runner)
        }
        let prepared = try site.prepareMissing(
            contexts, cache: cache, groupSize: jointTasks, starting: { standardError("preparing SITE on \($0.joined(separator: ", "))") },
            finished: finished)
        standardError("SITE artifacts: \(prepared.count) prepared, \(names.count - prepared.count) already stored")
    }

    /// Where the heatmaps and tables go: `modelFolder` itself for SITE's default settings on the
    /// native engine in float32 with seed 0 over every test item; otherwise its subfolder named by
    /// the first 16 hex digits of the settings hash (other settings) and then `cap<N>` (an item
    /// cap), so that a bfloat16, another seed's or a capped analysis replaces none of the default
    /// tables. `cells.csv` stays in `modelFolder` (its rows carry the hash and the cap).
    static func tablesFolder(_ modelFolder: URL, settings: SettingsText, model: String, maxItems: Int?) -> URL {
        var folder = modelFolder
        if settings != SoftInjectionMethod().artifactSettings(seed: 0, model: model) {
            folder = folder.appendingPathComponent(String(settings.hash.prefix(16)))
        }
        if let maxItems { folder = folder.appendingPathComponent("cap\(maxItems)") }
        return folder
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
    static func table(_ values: [Float], heads h: Int) -> [[Double]] {
        stride(from: 0, to: values.count, by: h).map { values[$0..<($0 + h)].map(Double.init) }
    }

    /// The mean α over tasks, (L, H).
    static func meanAlphas(_ artifacts: [SITEArtifact]) -> [[Double]] {
        var sum = [Double](repeating: 0, count: artifacts[0].alphaLogits.scalars.count)
        for a in artifacts { for (i, v) in a.alphas.scalars.enumerated() { sum[i] += Double(v) } }
        return table(sum.map { Float($0 / Double(artifacts.count)) }, heads: artifacts[0].headCount)
    }
}

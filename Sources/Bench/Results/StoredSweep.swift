import Foundation
import Methods
import Models
import Tasks
import Tensors

/// Runs methods × tasks × seeds on several models into the result store: finished cells are
/// skipped, each new row is written as soon as its cell ends, a failing cell is counted and the
/// sweep goes on.
struct StoredSweep {
    /// Model references (catalog names, folders, .gguf files, Hugging Face ids).
    var models: [String]
    var modelStore: ModelStore
    var tasks: [TextTask]
    var methods: [MethodKind]
    var hyperparameters: MethodHyperparameters
    var seeds: [UInt64]
    var evaluation: EvaluationOptions
    var data: DataDirectory
    var dataVersions: DataVersions
    /// results/runs: one <model>.csv per model.
    var resultsDirectory: URL
    var artifacts: URL
    /// The torch worker's options (started once per model); nil for the native engine, as
    /// `bench --all` runs (a `BackendOptions` made outside argument parsing has no values to read).
    var backend: BackendOptions?
    /// The precision every model computes its forward weight products in (native engine).
    var compute: ComputePrecision = .float32
    /// Where each new cell's answers go (`answersFile(for:in:)`); nil writes none.
    var answers: URL? = nil
    /// Tasks a jointly prepared method (SITE, LTV) trains together at most (`Sweep.jointGroupSize`).
    var jointTasks = Sweep.defaultJointGroupSize

    /// Runs everything and prints a line per new row on stdout.
    /// - Returns: the counts and failures (also printed as a summary).
    /// - Throws: a store that cannot be read or written (a model that cannot be loaded is a failure
    ///   of its cells in the summary).
    func run() throws -> SweepProgress {
        let codeVersion = RunProvenance.codeVersion
        let builtMethods = methods.map { $0.makeMethod(hyperparameters) }
        var progress = SweepProgress(total: models.count * seeds.count * tasks.count * builtMethods.count)
        defer { progress.finishLine() }
        for reference in models {
            let lm: LanguageModel
            let modelBackend: (any ModelBackend)?
            do {
                let (model, location) = try modelStore.loadModelAndLocation(reference, compute: compute)
                lm = model
                modelBackend = try backend?.makeBackend(model: model, location: location) ?? nil
            } catch {
                // The other models still run; every cell of this one is a failure in the summary.
                progress.modelFailed(reference, cells: seeds.count * tasks.count * builtMethods.count, reason: "\(error)")
                continue
            }
            var store = try ResultStore(directory: resultsDirectory, model: lm.name)
            let claims = CellClaims()
            print("model \(lm.name) → \(store.url.path) (\(store.rows.count) rows stored)")
            for seed in seeds {
                var sweep = Sweep(
                    model: lm, tasks: tasks, methods: builtMethods, data: data, seed: seed, evaluation: evaluation,
                    cache: ArtifactCache(root: artifacts))
                sweep.backend = modelBackend
                sweep.jointGroupSize = jointTasks
                let resultsDirectory = resultsDirectory, storeURL = store.url
                sweep.journal = { JournalFile(cell: $0, resultsDirectory: resultsDirectory) }
                sweep.claim = { cell in
                    try claims.claim(cell, resultsDirectory: resultsDirectory) { try ResultStore(url: storeURL).contains(ResultRow.Key(cell)) }
                }
                // Cells are distinct, so the store as it was before this seed's sweep decides every skip.
                let finished = store
                _ = try sweep.run(skip: { finished.contains(ResultRow.Key($0)) }) { event in
                    progress.observe(event)
                    if case .failed(let cell, _, _) = event { claims.release(ResultRow.Key(cell), stored: false) }
                    guard case .finished(let record) = event else { return }
                    let row = ResultRow(record, provenance: .now(codeVersion: codeVersion, dataVersion: dataVersions.version(of: record.task)))
                    // The answers first: a kill between the two leaves a cell that reruns, not a
                    // stored row without its answers.
                    if let answers { try Self.writeAnswers(of: record, in: answers) }
                    try store.append(row)
                    try JournalFile(row.key, resultsDirectory: resultsDirectory).remove()
                    claims.release(row.key, stored: true)
                    progress.finishLine()
                    print(Self.describe(row))
                }
            }
        }
        progress.finishLine()
        print(progress.summary)
        return progress
    }

    /// <answers>/<model>/<task>/<method>-seed<S>-<settings hash>.csv (`ResultRow.Key.file(in:)`).
    static func answersFile(for record: RunRecord, in answers: URL) -> URL {
        ResultRow.Key(record).file(in: answers)
    }

    /// Writes the record's item outcomes, replacing a file a killed run left.
    static func writeAnswers(of record: RunRecord, in answers: URL) throws {
        var file = try CSVStore<ItemOutcome>(url: answersFile(for: record, in: answers))
        try file.replaceAll(with: record.outcomes)
    }

    static func describe(_ r: ResultRow) -> String {
        let name = r.task.padding(toLength: 27, withPad: " ", startingAt: 0) + " " + r.method.description.padding(toLength: 16, withPad: " ", startingAt: 0)
        return name + String(format: " seed %-3llu %6.3f  %5d items  prep %6.1f s %8d tok  test %6.1f s %8d tok", r.seed, r.accuracy, r.items,
                             r.preparationSeconds, r.preparationTokens, r.testSeconds, r.testPromptTokens) + (r.preparedFromCache ? "  (cached)" : "")
    }
}

import Foundation
import Methods
import Models
import Tasks

/// The head analysis' evaluations of one model under one SITE setting, each stored in
/// `cells.csv` as its task finishes: a stopped or widened analysis evaluates only what it lacks.
struct HeadCells {
    var model: LanguageModel
    var backend: any ModelBackend
    var data: DataDirectory
    var options: EvaluationOptions
    /// The settings hash of the artifacts analysed.
    var settingsHash: String
    /// Heads in the top-k and bottom-k patching.
    var topK: Int
    private var store: CSVStore<HeadEvaluationCell>
    private var stored: [HeadEvaluationCell.Key: HeadEvaluationCell]

    /// - Throws: what reading `url` throws (a damaged or foreign cells file).
    init(url: URL, model: LanguageModel, backend: any ModelBackend, data: DataDirectory, options: EvaluationOptions,
         settingsHash: String, topK: Int) throws {
        self.model = model
        self.backend = backend
        self.data = data
        self.options = options
        self.settingsHash = settingsHash
        self.topK = topK
        store = try CSVStore<HeadEvaluationCell>(url: url)
        stored = Dictionary(store.rows.map { ($0.key, $0) }, uniquingKeysWith: { _, last in last })
    }

    func key(_ experiment: HeadExperiment, task: String) -> HeadEvaluationCell.Key {
        HeadEvaluationCell.Key(task: task, experiment: experiment, scoring: options.scoring, maxItems: options.maxItems,
                               settingsHash: settingsHash)
    }

    /// The stored cell, nil when not evaluated yet.
    func cell(_ experiment: HeadExperiment, task: String) -> HeadEvaluationCell? { stored[key(experiment, task: task)] }

    /// The experiments of task `task`: its row of the cross-task matrix over `crossTasks` when it
    /// is one of them, then SITE, top-k and bottom-k.
    func experiments(of task: String, crossTasks: [String]) -> [HeadExperiment] {
        var wanted = crossTasks.contains(task) ? crossTasks.map { HeadExperiment.crossTask(alphaOf: task, embeddingOf: $0) } : []
        for experiment in [HeadExperiment.site, .highest(topK), .lowest(topK)] where !wanted.contains(experiment) {
            wanted.append(experiment)
        }
        return wanted
    }

    /// Evaluates and stores every cell the tasks of `artifacts` lack, task by task; a task's
    /// missing cells run together, sharing each prompt's prefill. The cross-task rows wait until
    /// every task of `crossTasks` has its artifact among `artifacts`.
    /// - Throws: what loading a task's data, the evaluation or appending to `cells.csv` throws.
    mutating func evaluateMissing(_ artifacts: [SITEArtifact], crossTasks: [String]) throws {
        let present = Set(artifacts.map(\.task))
        let cross = crossTasks.allSatisfy(present.contains) ? crossTasks : []
        let missing = artifacts.map { artifact in experiments(of: artifact.task, crossTasks: cross).filter { cell($0, task: artifact.task) == nil } }
        // The analysis covers the tasks with cells to evaluate and the cross-task embeddings they read.
        let needed = artifacts.indices.filter { !missing[$0].isEmpty || cross.contains(artifacts[$0].task) }
        if needed.allSatisfy({ missing[$0].isEmpty }) { return }
        let chosen = needed.map { artifacts[$0] }
        let tasks = try chosen.map { try TaskRegistry.site57.task(named: $0.task) }
        let splits = try tasks.map { try $0.loadSplits(from: data) }
        let analysis = HeadAnalysis(model: model, artifacts: chosen, tasks: tasks, splits: splits, options: options, backend: backend)
        for (t, index) in needed.enumerated() where !missing[index].isEmpty {
            let wanted = missing[index]
            let results = try analysis.evaluate(wanted, on: t)
            let new = zip(wanted, results).map { experiment, result in
                HeadEvaluationCell(
                    task: chosen[t].task, experiment: experiment, scoring: options.scoring, maxItems: options.maxItems,
                    settingsHash: settingsHash, items: result.count, correct: result.correct, seconds: result.seconds,
                    codeVersion: RunProvenance.codeVersion, finishedAt: RunProvenance.timestamp())
            }
            try store.append(contentsOf: new)
            for cell in new {
                stored[cell.key] = cell
                standardError("  \(cell.task), \(cell.experiment): " + String(format: "%.3f", cell.accuracy))
            }
        }
    }
}

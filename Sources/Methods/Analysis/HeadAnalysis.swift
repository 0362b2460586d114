import Models
import Tasks

/// Evaluations of stored SITE artifacts with the normal `Evaluator`: cross-task injection and
/// patching of the highest- vs lowest-α heads, on each task's test items.
public struct HeadAnalysis {
    public var model: LanguageModel
    /// Runs the model: the native engine unless another backend is given.
    public var backend: (any ModelBackend)?
    /// One artifact per task, in the order of `tasks`.
    public var artifacts: [SITEArtifact]
    public var tasks: [TextTask]
    public var splits: [TaskSplits]
    public var options: EvaluationOptions

    /// - Precondition: `artifacts`, `tasks` and `splits` have the same count and order.
    public init(
        model: LanguageModel, artifacts: [SITEArtifact], tasks: [TextTask], splits: [TaskSplits], options: EvaluationOptions,
        backend: (any ModelBackend)? = nil
    ) {
        precondition(artifacts.count == tasks.count && tasks.count == splits.count,
                     "HeadAnalysis: \(artifacts.count) artifacts, \(tasks.count) tasks, \(splits.count) splits")
        precondition(zip(artifacts, tasks).allSatisfy { $0.0.task == $0.1.name }, "HeadAnalysis: artifacts and tasks out of order")
        self.model = model
        self.artifacts = artifacts
        self.tasks = tasks
        self.splits = splits
        self.options = options
        self.backend = backend
    }

    /// Accuracy on task `a`'s test items with α of `a` and the task embedding of `b`.
    public func crossTask(alphaOf a: Int, embeddingOf b: Int) throws -> TaskEvaluation {
        try evaluate(HeadInjection.crossTask(alphaFrom: artifacts[a], embeddingFrom: artifacts[b]), on: a)
    }

    /// `matrix[a][b]`: `crossTask(alphaOf: a, embeddingOf: b)` for every pair; the diagonal is SITE itself.
    public func crossTaskMatrix(progress: (Int, Int, TaskEvaluation) -> Void = { _, _, _ in }) throws -> [[TaskEvaluation]] {
        try tasks.indices.map { a in
            try tasks.indices.map { b in
                let result = try crossTask(alphaOf: a, embeddingOf: b)
                progress(a, b, result)
                return result
            }
        }
    }

    /// Task `t`'s embedding patched fully into only its `k` highest-α heads, and into only its `k`
    /// lowest-α heads.
    public func patching(task t: Int, heads k: Int) throws -> (highest: TaskEvaluation, lowest: TaskEvaluation) {
        let artifact = artifacts[t]
        let highest = try evaluate(HeadInjection.patching(artifact.topHeads(k), of: artifact), on: t)
        let lowest = try evaluate(HeadInjection.patching(artifact.bottomHeads(k), of: artifact), on: t)
        return (highest, lowest)
    }

    func evaluate(_ injection: HeadInjection, on t: Int) throws -> TaskEvaluation {
        try Evaluator(model: model, backend: backend).evaluate(injection, task: tasks[t], items: splits[t].test, train: splits[t].train, options: options)
    }
}

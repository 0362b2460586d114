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

    /// `experiment` on task `t`'s test items.
    /// - Throws: `HeadAnalysisError.missingArtifact` for an embedding of a task not analysed;
    ///   what the evaluation throws.
    public func evaluate(_ experiment: HeadExperiment, on t: Int) throws -> TaskEvaluation {
        try evaluate([experiment], on: t)[0]
    }

    /// Several experiments on task `t`'s test items, one result each, in order: they answer the
    /// same prompts and differ only at the last token, so under exact match each prompt is
    /// prefilled once for all of them (`Evaluator.evaluate(_:task:items:train:options:journals:)`);
    /// each result equals evaluating its experiment alone.
    /// - Throws: as `evaluate(_:on:)`.
    public func evaluate(_ experiments: [HeadExperiment], on t: Int) throws -> [TaskEvaluation] {
        let injections = try experiments.map { try injection($0, on: t) }
        return try Evaluator(model: model, backend: backend)
            .evaluate(injections, task: tasks[t], items: splits[t].test, train: splits[t].train, options: options)
    }

    /// What `experiment` mixes into task `t`'s heads.
    private func injection(_ experiment: HeadExperiment, on t: Int) throws -> HeadInjection {
        let artifact = artifacts[t]
        switch experiment {
        case .site:
            return HeadInjection.crossTask(alphaFrom: artifact, embeddingFrom: artifact)
        case .embedding(let task):
            guard let other = artifacts.first(where: { $0.task == task }) else { throw HeadAnalysisError.missingArtifact(path: task) }
            return HeadInjection.crossTask(alphaFrom: artifact, embeddingFrom: other)
        case .highest(let k):
            return HeadInjection.patching(artifact.topHeads(k), of: artifact)
        case .lowest(let k):
            return HeadInjection.patching(artifact.bottomHeads(k), of: artifact)
        }
    }
}

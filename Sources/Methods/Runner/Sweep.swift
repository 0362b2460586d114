import Foundation
import Models
import Tasks

/// One (model, task, method) result.
public struct RunRecord: Sendable, Codable {
    public var model: String
    public var task: String
    public var method: String
    public var seed: UInt64
    public var settingsHash: String
    public var scoring: ScoringMode
    public var accuracy: Double
    public var items: Int
    public var preparationSeconds: Double
    public var preparationTokens: Int
    public var preparedFromCache: Bool
    public var testSeconds: Double
    public var testPromptTokens: Int
}

/// Runs methods over tasks on one model: prepares each (SITE and LTV for all tasks together), then
/// evaluates the test items.
public struct Sweep {
    public var model: LanguageModel
    public var tasks: [TextTask]
    public var methods: [any TaskMethod]
    public var data: DataDirectory
    public var seed: UInt64
    public var evaluation: EvaluationOptions
    public var cache: ArtifactCache?

    public init(model: LanguageModel, tasks: [TextTask], methods: [any TaskMethod], data: DataDirectory,
                seed: UInt64, evaluation: EvaluationOptions, cache: ArtifactCache?) {
        self.model = model
        self.tasks = tasks
        self.methods = methods
        self.data = data
        self.seed = seed
        self.evaluation = evaluation
        self.cache = cache
    }

    /// - Parameter progress: told about each finished record.
    public func run(progress: (RunRecord) -> Void = { _ in }) throws -> [RunRecord] {
        let splits = try tasks.map { try $0.loadSplits(from: data) }
        let contexts = zip(tasks, splits).map {
            MethodContext(model: model, task: $0.0, train: $0.1.train, valid: $0.1.valid, seed: seed)
        }
        var records = [RunRecord]()
        let evaluator = Evaluator(model: model)
        for method in methods {
            let prepared: [any PreparedMethod]
            if let joint = method as? any JointlyPreparableMethod {
                prepared = try joint.prepareJointly(contexts, cache: cache)
            } else {
                prepared = try contexts.map { try method.prepare($0, cache: cache) }
            }
            for (t, task) in tasks.enumerated() {
                var options = evaluation
                options.seed = seed
                let result = try evaluator.evaluate(prepared[t], task: task, items: splits[t].test, train: splits[t].train, options: options)
                var settings = method.settings
                settings["seed"] = "\(seed)"
                let record = RunRecord(
                    model: model.name, task: task.name, method: method.name, seed: seed,
                    settingsHash: String(ArtifactCache.hash(settings).prefix(12)), scoring: options.scoring,
                    accuracy: result.accuracy, items: result.count,
                    preparationSeconds: prepared[t].preparation.seconds, preparationTokens: prepared[t].preparation.tokensProcessed,
                    preparedFromCache: prepared[t].preparation.fromCache,
                    testSeconds: result.seconds, testPromptTokens: result.promptTokens)
                progress(record)
                records.append(record)
            }
        }
        return records
    }
}

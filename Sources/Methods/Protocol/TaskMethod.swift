// Shape legend: B prompts in a batch, D model dim, H heads, Dh head dim, L layers.
import Models
import Tasks
import Tensors

/// Everything a method may use to prepare for one (model, task): the train and valid splits,
/// never the test split.
public struct MethodContext {
    /// Tokenizes prompts; names artifacts.
    public let model: LanguageModel
    /// Runs the model: the native engine unless another backend is given.
    public let backend: any ModelBackend
    public let task: TextTask
    public let train: [TaskItem]
    public let valid: [TaskItem]
    /// Seeds every sampled prompt and initialisation.
    public let seed: UInt64

    public init(
        model: LanguageModel, task: TextTask, train: [TaskItem], valid: [TaskItem], seed: UInt64, backend: (any ModelBackend)? = nil
    ) {
        self.model = model
        self.backend = backend ?? NativeBackend(model: model)
        self.task = task
        self.train = train
        self.valid = valid
        self.seed = seed
    }

    /// Throws `MethodError.nativeEngineOnly` unless the backend is the native engine: for the
    /// methods whose preparation has not moved behind the backend seam yet (FV, TV, LTV).
    func requireNativeEngine(method: String) throws {
        guard backend is NativeBackend else {
            throw MethodError.nativeEngineOnly(method: method, backend: canonicalSettings(backend.settings))
        }
    }

    /// Samples demonstrations from the train split.
    public var sampler: PromptSampler { PromptSampler(task: task, train: train) }
}

/// A way to answer a task: zero-shot, in-context learning, or a task representation injected
/// into the model. A method prepares once per (model, task), then answers prompts.
public protocol TaskMethod {
    /// Short name for results, e.g. "site" or "icl".
    var name: String { get }
    /// Every setting that changes what `prepare` builds, as "key=value" strings; their hash
    /// names the cached artifact.
    var settings: [String: String] { get }
    /// Builds the method's state from the train and valid splits.
    func prepare(_ context: MethodContext, cache: ArtifactCache?) throws -> any PreparedMethod
    /// Keys of `settings` that do not change the prepared artifact, left out of its name so that
    /// one artifact serves them all (none by default).
    var settingsOutsideArtifact: Set<String> { get }
}

extension TaskMethod {
    public var settingsOutsideArtifact: Set<String> { [] }

    /// Settings that name a task's artifact: the method's, less `settingsOutsideArtifact`, with
    /// the seed and the model.
    func artifactSettings(_ context: MethodContext) -> [String: String] {
        var s = settings
        for key in settingsOutsideArtifact { s[key] = nil }
        s["seed"] = "\(context.seed)"
        s["model"] = context.model.name
        // Empty on the native engine, so its artifacts keep their names.
        s.merge(context.backend.settings) { $1 }
        return s
    }
}

/// A method ready to answer test prompts.
public protocol PreparedMethod {
    /// Shots in the prompts this method answers (demonstrations are sampled per query).
    var shots: Int { get }
    /// Interventions at the last prompt token of a batch of `batchSize` prompts.
    func interventions(batchSize: Int) -> [Intervention]
    /// What preparation cost.
    var preparation: PreparationCost { get }
}

/// Work done while preparing.
public struct PreparationCost: Sendable, Equatable, Codable {
    public var seconds: Double
    /// Tokens run through the model (prompt tokens prefilled plus last tokens re-run).
    public var tokensProcessed: Int
    /// True when the artifact came from the cache.
    public var fromCache: Bool

    public init(seconds: Double = 0, tokensProcessed: Int = 0, fromCache: Bool = false) {
        self.seconds = seconds
        self.tokensProcessed = tokensProcessed
        self.fromCache = fromCache
    }
}

/// A canonical "k=v;k=v" rendering of settings (sorted by key).
public func canonicalSettings(_ settings: [String: String]) -> String {
    settings.keys.sorted().map { "\($0)=\(settings[$0]!)" }.joined(separator: ";")
}

/// A method whose preparation of several tasks can advance together (one row per task per
/// optimisation step), with each task's result equal to preparing it alone.
public protocol JointlyPreparableMethod: TaskMethod {
    associatedtype Prepared: PreparedMethod
    func prepareJointly(_ contexts: [MethodContext], cache: ArtifactCache?) throws -> [Prepared]
    /// True when the tasks prepared together share what they learn (e.g. one α for all), so that
    /// splitting them into groups would change the result.
    var couplesTasks: Bool { get }
}

extension JointlyPreparableMethod {
    public var couplesTasks: Bool { false }
}

extension SoftInjectionMethod: JointlyPreparableMethod {
    public var couplesTasks: Bool { options.taskAgnostic }
}
extension LearnedTaskVectorMethod: JointlyPreparableMethod {}

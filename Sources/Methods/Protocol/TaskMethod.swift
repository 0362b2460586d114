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

    /// Samples demonstrations from the train split.
    public var sampler: PromptSampler { PromptSampler(task: task, train: train) }
}

/// A way to answer a task: zero-shot, in-context learning, or a task representation injected
/// into the model. A method prepares once per (model, task), then answers prompts.
///
/// A method's `Encodable` form is its settings: every setting that changes what `prepare`
/// builds, under the key its result rows and artifacts record (`settings`).
public protocol TaskMethod: Encodable {
    /// The name results and artifact folders carry, e.g. `.site` or `.icl(shots: 10)`.
    var name: MethodName { get }
    /// Builds the method's state from the train and valid splits.
    func prepare(_ context: MethodContext, cache: ArtifactCache?) throws -> any PreparedMethod
    /// Keys of `settings` that do not change the prepared artifact, left out of its name so that
    /// one artifact serves them all (none by default).
    var settingsOutsideArtifact: Set<String> { get }
}

extension TaskMethod {
    public var settingsOutsideArtifact: Set<String> { [] }

    /// Every setting that changes what `prepare` builds, as text; their hash names the cached
    /// artifact (with the seed and the model) and the result cell (with the seed and the evaluation).
    public var settings: SettingsText { SettingsText(of: self) }

    /// Settings that name an artifact prepared with `seed` on `model`: the method's, less
    /// `settingsOutsideArtifact`, with the seed and the model's name.
    public func artifactSettings(seed: UInt64, model: String) -> SettingsText {
        var s = settings
        for key in settingsOutsideArtifact { s[key] = nil }
        s["seed"] = "\(seed)"
        s["model"] = model
        return s
    }

    /// Settings that name an artifact prepared with `seed` on `model` by a backend whose settings
    /// are `backend` (`ModelBackend.settings`: empty on the native engine in float32, so its
    /// artifacts keep their names). The one rule for every command that looks artifacts up.
    public func artifactSettings(seed: UInt64, model: String, backend: [String: String]) -> SettingsText {
        artifactSettings(seed: seed, model: model).merging(backend)
    }

    /// Settings that name a task's artifact in `context`.
    func artifactSettings(_ context: MethodContext) -> SettingsText {
        artifactSettings(seed: context.seed, model: context.model.name, backend: context.backend.settings)
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

/// A canonical "k=v;k=v" rendering of settings (sorted by key), as `SettingsText.canonical`.
public func canonicalSettings(_ settings: [String: String]) -> String {
    SettingsText(settings).canonical
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

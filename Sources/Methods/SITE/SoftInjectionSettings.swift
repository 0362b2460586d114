/// SITE's settings (DESIGN.md, "Methods"; the paper's values are the defaults). Their coding
/// keys are the names result rows and artifacts record them under.
public struct SoftInjectionSettings: Sendable, Equatable, Codable {
    /// M: prompts whose head outputs are averaged into the task embedding.
    public var embeddingPrompts = 50
    /// N: demonstrations in each of those prompts.
    public var embeddingShots = 10
    /// Adam steps on the mixing logits.
    public var steps = 400
    public var learningRate: Float = 0.2
    /// Zero-shot train prompts per step.
    public var promptsPerStep = 1
    /// Validation loss is measured on the first this-many valid items...
    public var validationItems = 100
    /// ...every this-many steps.
    public var validateEvery = 50
    /// Keep the logits of the best validation loss (the reference keeps the last, by a bug).
    public var keepBest = true
    /// One set of weights for all tasks trained together (the paper's task-agnostic variant).
    public var taskAgnostic = false

    public init() {}

    enum CodingKeys: String, CodingKey {
        case embeddingPrompts = "embedding_prompts"
        case embeddingShots = "embedding_shots"
        case steps
        case learningRate = "lr"
        case promptsPerStep = "prompts_per_step"
        case validationItems = "validation_items"
        case validateEvery = "validate_every"
        case keepBest = "keep_best"
        case taskAgnostic = "task_agnostic"
    }
}

/// SITE's settings are its options.
extension SoftInjectionMethod: Encodable {
    public func encode(to encoder: any Encoder) throws { try options.encode(to: encoder) }
}

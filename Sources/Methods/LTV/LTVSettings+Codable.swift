/// The keys LTV's settings are recorded under in result rows and artifacts, plus
/// `selection=best-validation`: the weights kept are those of the best validation loss.
extension LTVSettings: Codable {
    enum CodingKeys: String, CodingKey {
        case profile
        case meanPrompts = "mean_prompts"
        case meanShots = "mean_shots"
        case trainingShots = "training_shots"
        case shuffledLabels = "shuffled_labels"
        case trainingPrompts = "training_prompts"
        case steps
        case promptsPerStep = "prompts_per_step"
        case learningRate = "learning_rate"
        case initialisation
        case validationItems = "validation_items"
        case validateEvery = "validate_every"
        case selection
    }

    /// The one selection rule there is.
    static let selection = "best-validation"

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(profile, forKey: .profile)
        try c.encode(meanPrompts, forKey: .meanPrompts)
        try c.encode(meanShots, forKey: .meanShots)
        try c.encode(trainingShots, forKey: .trainingShots)
        try c.encode(shuffledLabels, forKey: .shuffledLabels)
        try c.encode(trainingPrompts, forKey: .trainingPrompts)
        try c.encode(steps, forKey: .steps)
        try c.encode(promptsPerStep, forKey: .promptsPerStep)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(initialisation, forKey: .initialisation)
        try c.encode(validationItems, forKey: .validationItems)
        try c.encode(validateEvery, forKey: .validateEvery)
        try c.encode(Self.selection, forKey: .selection)
    }

    /// - Throws: `DecodingError.dataCorrupted` for a selection other than best-validation.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard try c.decode(String.self, forKey: .selection) == Self.selection else {
            throw DecodingError.dataCorruptedError(forKey: .selection, in: c, debugDescription: Self.selection)
        }
        self.init(
            profile: try c.decode(Profile.self, forKey: .profile), meanPrompts: try c.decode(Int.self, forKey: .meanPrompts),
            meanShots: try c.decode(Int.self, forKey: .meanShots), trainingShots: try c.decode(Int.self, forKey: .trainingShots),
            shuffledLabels: try c.decode(Bool.self, forKey: .shuffledLabels),
            trainingPrompts: try c.decode(Int.self, forKey: .trainingPrompts), steps: try c.decode(Int.self, forKey: .steps),
            promptsPerStep: try c.decode(Int.self, forKey: .promptsPerStep), learningRate: try c.decode(Float.self, forKey: .learningRate),
            initialisation: try c.decode(Initialisation.self, forKey: .initialisation),
            validationItems: try c.decode(Int.self, forKey: .validationItems), validateEvery: try c.decode(Int.self, forKey: .validateEvery))
    }
}

/// LTV's settings are its configuration.
extension LearnedTaskVectorMethod: Encodable {
    public func encode(to encoder: any Encoder) throws { try configuration.encode(to: encoder) }
}

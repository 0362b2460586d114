// Shape legend: L layers, H heads.
import Tensors

/// Every number of learned task vectors (Saglam et al.), with the two profiles of DESIGN.md.
///
/// Every field is in its `Codable` form (`LTVSettings+Codable.swift`), so the settings hash of a
/// cached artifact changes with any of them, and a result row says exactly what was trained.
public struct LTVSettings: Sendable, Equatable {
    /// Where the defaults came from.
    public enum Profile: String, Sendable, CaseIterable, Codable {
        /// The step budget and prompt shape of SITE: zero-shot training prompts, 400 steps,
        /// w = 0 at the start, Adam lr 0.01.
        case sameBudget = "same-budget"
        /// The reference's training recipe: shuffled-label 5-shot prompts, w ~ N(0, 1), lr 5e-5.
        case paper
    }

    /// How w (L, H) starts.
    public enum Initialisation: String, Sendable, CaseIterable, Codable {
        /// w = 0: the first steps start from the unsteered model.
        case zeros
        /// w ~ N(0, 1), seeded by (seed, task).
        case gaussian
    }

    public var profile: Profile
    /// M: clean prompts whose last-token head outputs are averaged (paper: 50).
    public var meanPrompts: Int
    /// Demonstrations in each of those prompts (paper: 10).
    public var meanShots: Int
    /// Demonstrations in each training prompt (0 for the same-budget profile, 5 for the paper).
    public var trainingShots: Int
    /// Permute the training demonstrations' outputs among themselves (the paper's corrupted prompts).
    public var shuffledLabels: Bool
    /// Distinct training prompts prefilled (queries drawn from train without repetition; capped
    /// by the split). Each holds a KV cache for the whole run, so this bounds memory.
    public var trainingPrompts: Int
    /// Adam steps.
    public var steps: Int
    /// Training prompts per step (per task when several tasks train together).
    public var promptsPerStep: Int
    public var learningRate: Float
    public var initialisation: Initialisation
    /// Validation uses the zero-shot prompts of the first `validationItems` valid items.
    public var validationItems: Int
    /// Validation loss every this many steps (and before the first step, and after the last);
    /// the weights with the lowest validation loss are kept.
    public var validateEvery: Int

    /// Any values are accepted here; `validate(method:)` (called by `prepare`) throws for one
    /// outside its range.
    public init(
        profile: Profile, meanPrompts: Int = 50, meanShots: Int = 10, trainingShots: Int, shuffledLabels: Bool,
        trainingPrompts: Int, steps: Int, promptsPerStep: Int = 1, learningRate: Float,
        initialisation: Initialisation, validationItems: Int = 100, validateEvery: Int = 50
    ) {
        self.profile = profile
        self.meanPrompts = meanPrompts
        self.meanShots = meanShots
        self.trainingShots = trainingShots
        self.shuffledLabels = shuffledLabels
        self.trainingPrompts = trainingPrompts
        self.steps = steps
        self.promptsPerStep = promptsPerStep
        self.learningRate = learningRate
        self.initialisation = initialisation
        self.validationItems = validationItems
        self.validateEvery = validateEvery
    }

    /// SITE's budget: 400 steps of one zero-shot train prompt, validation every 50 steps on up
    /// to 100 valid items, best kept. w starts at 0 (the unsteered model, like SITE's alpha
    /// logits at 0 start from no injection). lr 0.01, from a check on SmolLM2-135M (antonym,
    /// country-capital; best validation loss of 400 steps): 0.003 is too slow (antonym 3.58 vs
    /// 2.93 at 0.01, still falling); 0.03 gets about as low sooner (2.90, 1.98 vs 2.16) but the
    /// curve oscillates and test accuracy was no better (52% vs 54%, 38% vs 40%); 0.01 falls
    /// smoothly for the whole budget.
    public static let sameBudget = LTVSettings(
        profile: .sameBudget, trainingShots: 0, shuffledLabels: false, trainingPrompts: 400, steps: 400,
        learningRate: 0.01, initialisation: .zeros)

    /// The reference recipe (shuffled-label 5-shot prompts, w ~ N(0, 1), lr 5e-5) with `steps`
    /// steps (the paper trains up to 1e5). 100 distinct training prompts by default: 5-shot
    /// prompts are long and every one keeps its KV cache.
    public static func paper(steps: Int = 400) -> LTVSettings {
        LTVSettings(
            profile: .paper, trainingShots: 5, shuffledLabels: true, trainingPrompts: 100, steps: steps,
            learningRate: 5e-5, initialisation: .gaussian)
    }

    /// Throws `MethodError.invalidSetting` (naming `method`) for a value outside its range:
    /// counts where a zero makes no sense below 1, any count below 0, a learning rate that is
    /// not positive and finite.
    public func validate(method: MethodName) throws {
        let check = SettingCheck(method: method)
        try check.atLeast("mean_prompts", meanPrompts, 1)
        try check.atLeast("mean_shots", meanShots, 1)
        try check.atLeast("training_shots", trainingShots, 0)
        try check.atLeast("training_prompts", trainingPrompts, 1)
        try check.atLeast("steps", steps, 0)
        try check.atLeast("prompts_per_step", promptsPerStep, 1)
        try check.positiveFinite("learning_rate", learningRate)
        try check.atLeast("validation_items", validationItems, 0)
        try check.atLeast("validate_every", validateEvery, 1)
    }

    /// When training validates: before the first step, every `validateEvery` steps, and after the last.
    /// - Precondition: `validate(method:)` passed.
    var schedule: KeepBestTraining.Schedule { KeepBestTraining.Schedule(steps: steps, validateEvery: validateEvery) }

    /// Steps after which validation runs: 0, every `validateEvery`, and the last.
    var validationSteps: [Int] { schedule.validationSteps }
}

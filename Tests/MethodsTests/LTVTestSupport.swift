// Shared inputs of the LTV tests: the tiny model and the synthetic tasks.
import Foundation
import Methods
import Models
import Tasks
import TestSupport

enum LTVFixtures {
    static func model() throws -> LanguageModel { try TinyLlama.model }

    /// A context of `task` on the tiny model with the first `trainCount` train and `validCount` valid items.
    static func context(_ task: TextTask, trainCount: Int = 40, validCount: Int = 6, seed: UInt64 = 7) throws -> MethodContext {
        try SyntheticTasks.context(task, trainCount: trainCount, validCount: validCount, seed: seed)
    }

    /// Settings small enough for a debug build: 2 mean prompts of 2 shots, 6 training prompts.
    static func small(steps: Int, profile: LTVSettings.Profile = .sameBudget, learningRate: Float = 0.01) -> LTVSettings {
        LTVSettings(
            profile: profile, meanPrompts: 2, meanShots: 2, trainingShots: profile == .paper ? 2 : 0,
            shuffledLabels: profile == .paper, trainingPrompts: 6, steps: steps, learningRate: learningRate,
            initialisation: profile == .paper ? .gaussian : .zeros, validationItems: 4, validateEvery: 2)
    }
}

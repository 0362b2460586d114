// Shared inputs of the LTV tests: the real SmolLM2 and two real tasks, loaded once.
import Foundation
import Methods
import Models
import Tasks
import TestSupport

enum LTVFixtures {
    /// The Methods tests' SmolLM2 (loaded once per process; a missing file fails with its path).
    static func model() throws -> LanguageModel {
        _ = try SharedPaths.requireModel(SharedPaths.smolLM2)
        return try SmolLM2.model
    }

    static var data: DataDirectory { DataDirectory(root: SharedPaths.shared.appendingPathComponent("datasets")) }

    /// A context of `task` on SmolLM2 with the first `trainCount` train and `validCount` valid items.
    static func context(_ task: String, trainCount: Int = 40, validCount: Int = 6, seed: UInt64 = 7) throws -> MethodContext {
        let model = try model()
        let task = try TaskRegistry.site57.task(named: task)
        let train = try task.load(.train, from: data), valid = try task.load(.valid, from: data)
        return MethodContext(model: model, task: task, train: Array(train.prefix(trainCount)),
                             valid: Array(valid.prefix(validCount)), seed: seed)
    }

    /// Settings small enough for a debug build: 2 mean prompts of 2 shots, 6 training prompts.
    static func small(steps: Int, profile: LTVSettings.Profile = .sameBudget, learningRate: Float = 0.01) -> LTVSettings {
        LTVSettings(
            profile: profile, meanPrompts: 2, meanShots: 2, trainingShots: profile == .paper ? 2 : 0,
            shuffledLabels: profile == .paper, trainingPrompts: 6, steps: steps, learningRate: learningRate,
            initialisation: profile == .paper ? .gaussian : .zeros, validationItems: 4, validateEvery: 2)
    }
}

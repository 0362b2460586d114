// Shared inputs of the LTV tests: the real SmolLM2 and two real tasks, loaded once.
import Foundation
import Methods
import Models
import Tasks
import TestSupport

enum LTVFixtures {
    /// Errors of the fixtures themselves (a missing model or dataset must fail, not skip).
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    private static let loaded: Result<LanguageModel, Error> = Result {
        let url = SharedPaths.smolLM2
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw Missing(description: "SmolLM2 not found at \(url.path): link models/ to the model files (or set BENCH_MODELS)")
        }
        return try LanguageModel.load(.ggufFile(url))
    }

    static func model() throws -> LanguageModel { try loaded.get() }

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

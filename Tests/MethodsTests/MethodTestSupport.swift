import Foundation
import Models
import Tasks
import TestSupport
@testable import Methods

/// SmolLM2, loaded once, for the real-model end-to-end tests (the others run on `TinyLlama`).
enum SmolLM2 {
    static let loaded = Result { try LanguageModel.load(.ggufFile(SharedPaths.requireModel(SharedPaths.smolLM2)), name: "smollm2-135m") }
    static var model: LanguageModel { get throws { try loaded.get() } }
}

/// The 57 tasks' files in ../shared/datasets.
let sharedData = DataDirectory(root: SharedPaths.shared.appendingPathComponent("datasets"))

func context(_ task: String, model: LanguageModel, seed: UInt64 = 0) throws -> MethodContext {
    let t = try TaskRegistry.site57.task(named: task)
    let splits = try t.loadSplits(from: sharedData)
    return MethodContext(model: model, task: t, train: splits.train, valid: splits.valid, seed: seed)
}

/// SITE settings small enough for a test: a few prompts and steps.
func smallSITESettings(steps: Int = 4) -> SoftInjectionSettings {
    var s = SoftInjectionSettings()
    s.embeddingPrompts = 4
    s.embeddingShots = 3
    s.steps = steps
    s.validateEvery = 2
    s.validationItems = 4
    return s
}

import Models
import Tasks

/// Zero-shot (k = 0) and k-shot in-context learning: the prompt alone, no intervention.
public struct PromptOnlyMethod: TaskMethod, Codable {
    /// Demonstrations per prompt, resampled from train for every query.
    public var shots: Int

    public init(shots: Int) { self.shots = shots }

    public static let zeroShot = PromptOnlyMethod(shots: 0)
    /// The papers' in-context-learning baseline: 10 demonstrations.
    public static let tenShot = PromptOnlyMethod(shots: 10)

    public var name: MethodName { shots == 0 ? .zeroShot : .icl(shots: shots) }

    /// Throws `MethodError.invalidSetting` for negative shots.
    public func validate() throws {
        try SettingCheck(method: name).atLeast("shots", shots, 0)
    }

    /// - Throws: `MethodError.invalidSetting` for negative shots, `MethodError.notEnoughItems`
    ///   when the train split holds fewer items than the shots of every prompt.
    public func prepare(_ context: MethodContext, cache: ArtifactCache?) throws -> any PreparedMethod {
        try validate()
        let check = SettingCheck(method: name)
        try check.items(TaskSplit.train.rawValue, of: context.task.name, available: context.train.count, needed: shots,
                        for: "\(shots)-shot prompts")
        return Prepared(shots: shots)
    }

    struct Prepared: PreparedMethod {
        let shots: Int
        func interventions(batchSize: Int) -> [Intervention] { [] }
        var preparation: PreparationCost { PreparationCost() }
    }
}

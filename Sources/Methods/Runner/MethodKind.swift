/// The methods a run can select by name.
public enum MethodKind: String, CaseIterable, Sendable, Codable {
    case zeroShot = "zero-shot"
    case icl
    case site
    case functionVector = "fv"
    case taskVector = "tv"
    case ltv

    /// The method with the paper's settings.
    public func makeMethod(shots: Int = 10) -> any TaskMethod {
        switch self {
        case .zeroShot: return PromptOnlyMethod.zeroShot
        case .icl: return PromptOnlyMethod(shots: shots)
        case .site: return SoftInjectionMethod()
        case .functionVector: return FunctionVectorMethod()
        case .taskVector: return TaskVectorMethod()
        case .ltv: return LearnedTaskVectorMethod()
        }
    }
}

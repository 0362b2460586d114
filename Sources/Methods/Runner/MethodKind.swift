/// The methods a run can select: each is the kind of one or more `MethodName`s (its raw value is
/// the name of its default variant, or "icl" for k-shot ICL of any k).
public enum MethodKind: String, CaseIterable, Sendable, Codable {
    case zeroShot = "zero-shot"
    case icl
    case site
    case functionVector = "function-vectors"
    case taskVector = "task-vectors"
    case ltv

    /// The short name the command line also accepts.
    public var shortName: String? {
        switch self {
        case .functionVector: return "fv"
        case .taskVector: return "tv"
        case .zeroShot, .icl, .site, .ltv: return nil
        }
    }

    /// The kind called `text`: its raw value or its short name.
    public init?(selecting text: String) {
        guard let kind = Self.allCases.first(where: { $0.rawValue == text || $0.shortName == text }) else { return nil }
        self = kind
    }

    /// Every spelling the command line accepts, e.g. "function-vectors (fv)".
    public static var spellings: String {
        allCases.map { kind in kind.shortName.map { "\(kind.rawValue) (\($0))" } ?? kind.rawValue }.joined(separator: ", ")
    }

    /// The method with the paper's settings.
    public func makeMethod(shots: Int = 10) -> any TaskMethod {
        var settings = MethodHyperparameters()
        settings.shots = shots
        return makeMethod(settings)
    }

    /// The method with `settings`.
    public func makeMethod(_ settings: MethodHyperparameters) -> any TaskMethod {
        switch self {
        case .zeroShot: return PromptOnlyMethod.zeroShot
        case .icl: return PromptOnlyMethod(shots: settings.shots)
        case .site: return SoftInjectionMethod(settings: settings.site)
        case .functionVector: return FunctionVectorMethod(topHeads: settings.functionVectorHeads, layer: settings.functionVectorLayer)
        case .taskVector: return TaskVectorMethod()
        case .ltv: return LearnedTaskVectorMethod(settings.ltv)
        }
    }
}

/// The settings a run exposes for each method; the defaults are the papers'.
public struct MethodHyperparameters: Sendable, Equatable {
    /// Demonstrations per in-context-learning prompt.
    public var shots = 10
    public var site = SoftInjectionSettings()
    /// k: heads summed into a function vector.
    public var functionVectorHeads = 10
    /// The layer a function vector is added after; nil for L/3.
    public var functionVectorLayer: Int?
    public var ltv = LTVSettings.sameBudget

    public init() {}
}

extension MethodHyperparameters {
    /// Checks every method's settings by that method's own rules, as far as they need no model
    /// (a function vector's layer and heads are checked against the model when it prepares).
    /// - Throws: `MethodError.invalidSetting` for the first setting outside its range.
    public func validate() throws {
        try PromptOnlyMethod(shots: shots).validate()
        try SoftInjectionMethod(settings: site).validate()
        try FunctionVectorMethod(topHeads: functionVectorHeads, layer: functionVectorLayer).validate()
        try ltv.validate(method: LearnedTaskVectorMethod(ltv).name)
    }
}

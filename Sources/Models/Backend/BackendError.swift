/// Why a backend could not serve a call.
public enum BackendError: Error, CustomStringConvertible, Equatable {
    /// A value expression names a tensor the plan does not hold.
    case unknownTensor(name: String)
    /// A value expression does not fit its tensors or its site.
    case badValue(String)
    /// A last-token loss was asked of prompts made without targets.
    case noTargets
    /// Generation needs a tokenizer to apply its stop rules; the model was loaded without one.
    case noTokenizer
    /// Branches share their prompts' prefix, so their interventions must act at the last token.
    case interventionBeforeLastToken(call: String)

    public var description: String {
        switch self {
        case .unknownTensor(let name):
            return "intervention value: no constant or parameter named '\(name)'"
        case .badValue(let message):
            return "intervention value: \(message)"
        case .noTargets:
            return "last-token loss: the prompts were prepared without target tokens"
        case .noTokenizer:
            return "generate: the backend has no tokenizer to decode and stop by"
        case .interventionBeforeLastToken(let call):
            return "\(call): every intervention must act at the last prompt token (the branches share the tokens before it)"
        }
    }
}

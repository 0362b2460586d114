/// Errors raised while loading a model.
public enum ModelLoadError: Error, CustomStringConvertible, Equatable {
    /// The architecture key (GGUF `general.architecture` or config.json `model_type`) has no family.
    case unsupportedArchitecture(String, supported: [String], file: String)
    case missingTensor(name: String, file: String)
    case shapeMismatch(tensor: String, expected: [Int], found: [Int])
    case invalidConfiguration(String)
    case missingMetadata(key: String, file: String)
    case modelNotFound(String, searched: [String], hint: String)
    /// The requested compute precision needs CPU instructions this machine lacks.
    case computeUnsupported(precision: String, needs: String)

    public var description: String {
        switch self {
        case .unsupportedArchitecture(let name, let supported, let file):
            return "\(file): unsupported architecture '\(name)'; supported: \(supported.joined(separator: ", "))"
        case .missingTensor(let name, let file):
            return "\(file.isEmpty ? "model" : file): missing tensor \(name)"
        case .shapeMismatch(let tensor, let expected, let found):
            return "tensor \(tensor) has shape \(found), expected \(expected)"
        case .invalidConfiguration(let why):
            return "invalid model configuration: \(why)"
        case .missingMetadata(let key, let file):
            return "\(file): missing metadata key \(key)"
        case .modelNotFound(let name, let searched, let hint):
            return "model '\(name)' not found; looked in: \(searched.joined(separator: ", ")). \(hint)"
        case .computeUnsupported(let precision, let needs):
            return "--compute \(precision) needs \(needs), which this CPU lacks (see the flags in /proc/cpuinfo); use --compute float32"
        }
    }
}

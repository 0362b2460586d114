import Foundation

/// Errors of the SITE head analysis: a stored artifact that is missing, unreadable or of the
/// wrong shape. (MethodError has no cases yet and belongs to the module's owner; these errors
/// concern only the analysis of stored artifacts.)
public enum HeadAnalysisError: Error, CustomStringConvertible, Equatable {
    /// No artifact.json / artifact.safetensors where one was expected.
    case missingArtifact(path: String)
    /// The file exists but cannot be parsed.
    case unreadableArtifact(path: String, reason: String)
    /// The artifact lacks a tensor the analysis needs.
    case missingTensor(name: String, path: String)
    /// A tensor of the wrong shape.
    case badShape(name: String, path: String, expected: String, found: [Int])
    /// A folder that should hold one artifact folder per task holds none.
    case noArtifacts(folder: String)
    /// Two tasks' artifacts come from models of different shape.
    case mismatchedShapes(task: String, shape: [Int], otherTask: String, otherShape: [Int])
    /// No artifact prepared with the settings the analysis asks for: the settings stored
    /// instead, with their tasks.
    case settingsNotFound(folder: String, wanted: SettingsText, stored: [SettingsText: [String]])

    public var description: String {
        switch self {
        case .missingArtifact(let path):
            return "no SITE artifact at \(path) (run `bench run --methods site` first)"
        case .unreadableArtifact(let path, let reason):
            return "unreadable SITE artifact \(path): \(reason)"
        case .missingTensor(let name, let path):
            return "SITE artifact \(path) has no tensor '\(name)'"
        case .badShape(let name, let path, let expected, let found):
            return "SITE artifact \(path): tensor '\(name)' has shape \(found), expected \(expected)"
        case .noArtifacts(let folder):
            return "no SITE artifacts (task folders with artifact.json) under \(folder)"
        case .mismatchedShapes(let task, let shape, let otherTask, let otherShape):
            return "SITE artifacts of '\(task)' \(shape) and '\(otherTask)' \(otherShape) do not come from the same model shape"
        case .settingsNotFound(let folder, let wanted, let stored):
            // Each stored setting by what differs from the one asked for.
            let variants = stored.sorted { ($0.value.count, $0.key.canonical) > ($1.value.count, $1.key.canonical) }
            let described = variants.map { settings, tasks in
                let keys = Set(settings.values.keys).union(wanted.values.keys).sorted().filter { settings[$0] != wanted[$0] }
                let values = keys.map { "\($0)=\(settings[$0] ?? "(unset)") (asked \(wanted[$0] ?? "(unset)"))" }.joined(separator: ", ")
                let shown = tasks.sorted().prefix(4).joined(separator: ", ") + (tasks.count > 4 ? ", …" : "")
                return "\(values) in \(tasks.count) task(s) (\(shown))"
            }
            return "no SITE artifact under \(folder) was prepared with the settings asked for; stored instead: "
                + described.joined(separator: "; ")
                + ". Give the --seed and --compute they were run with, or prepare them with `bench run --methods site`."
        }
    }
}

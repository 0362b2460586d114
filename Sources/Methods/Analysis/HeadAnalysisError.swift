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
    /// The artifacts were prepared under different settings (another precision or seed
    /// overwrote some tasks' in the shared cache): the tasks of each setting.
    case mixedSettings(folder: String, tasksBySettings: [SettingsText: [String]])

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
        case .mixedSettings(let folder, let tasksBySettings):
            let variants = tasksBySettings.sorted { ($0.value.count, $0.key.canonical) > ($1.value.count, $1.key.canonical) }
            let keys = Set(variants.flatMap { $0.key.values.keys }).sorted()
            let differing = keys.filter { key in Set(variants.map { $0.key[key] ?? "" }).count > 1 }
            let described = variants.map { settings, tasks in
                let values = differing.map { "\($0)=\(settings[$0] ?? "(unset)")" }.joined(separator: ", ")
                let shown = tasks.sorted().prefix(4).joined(separator: ", ") + (tasks.count > 4 ? ", …" : "")
                return "\(values) in \(tasks.count) task(s) (\(shown))"
            }
            return "SITE artifacts under \(folder) were prepared with \(variants.count) different settings, which one analysis "
                + "must not mix: " + described.joined(separator: "; ")
                + ". Analyse one setting at a time (each setting's artifacts under its own --artifacts folder)."
        }
    }
}

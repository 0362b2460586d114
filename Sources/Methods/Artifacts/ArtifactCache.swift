import Foundation
import ModelFormats
import Tensors
#if canImport(Glibc)
import Glibc
#endif

/// Prepared-method artifacts under `<root>/<model>/<method>/<task>/`: `artifact.safetensors` with
/// the tensors and `artifact.json` with the settings, their hash and free-form facts. An artifact
/// is reused only when the hash of the settings matches.
public struct ArtifactCache: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    /// A stored artifact.
    public struct Artifact {
        public var tensors: [String: Tensor]
        /// Facts recorded with it (chosen layer, best step, preparation cost...).
        public var facts: [String: String]
        /// The folder it was loaded from (for errors); empty for one not yet saved.
        public var path: String = ""

        public init(tensors: [String: Tensor], facts: [String: String], path: String = "") {
            self.tensors = tensors
            self.facts = facts
            self.path = path
        }

        /// Tensor `name`, which must have `shape`.
        /// - Throws: `MethodError.artifactShape` when it is missing or has another shape.
        public func tensor(_ name: String, shape: [Int], method: MethodName) throws -> Tensor {
            guard let t = tensors[name], t.shape == shape else {
                throw MethodError.artifactShape(method: method.description, path: path, tensor: name, expected: shape, found: tensors[name]?.shape)
            }
            return t
        }

        /// Fact `name` parsed by `parse`.
        /// - Throws: `MethodError.corruptArtifact` when it is missing or does not parse.
        public func fact<T>(_ name: String, method: MethodName, _ parse: (String) -> T?) throws -> T {
            guard let text = facts[name], let value = parse(text) else {
                throw MethodError.corruptArtifact(method: method.description, path: path, reason: "fact \(name) is \(facts[name].map { "\"\($0)\"" } ?? "missing")")
            }
            return value
        }
    }

    public func folder(model: String, method: MethodName, task: String) -> URL {
        root.appendingPathComponent(model).appendingPathComponent(method.description).appendingPathComponent(task)
    }

    /// The artifact when present and prepared with exactly `settings`; nil when there is none
    /// or it was prepared with other settings (it is then prepared again and overwritten).
    /// - Throws: `MethodError.corruptArtifact` when the settings match but the JSON or the
    ///   tensors cannot be read (truncated, not safetensors): such a file is never silently
    ///   replaced, since it means something else wrote or damaged it.
    public func load(model: String, method: MethodName, task: String, settings: SettingsText) throws -> Artifact? {
        let folder = folder(model: model, method: method, task: task)
        let jsonURL = folder.appendingPathComponent("artifact.json")
        guard let data = try? Data(contentsOf: jsonURL) else { return nil }
        guard let record = try? StoredRecord.decode(data), let hash = record.settingsHash
        else { throw MethodError.corruptArtifact(method: method.description, path: jsonURL.path, reason: "not a JSON object with a settings_hash") }
        guard hash == settings.hash else { return nil }
        let tensorsURL = folder.appendingPathComponent("artifact.safetensors")
        let tensors: [String: Tensor]
        do {
            tensors = try Self.readTensors(tensorsURL)
        } catch {
            throw MethodError.corruptArtifact(method: method.description, path: tensorsURL.path, reason: "\(error)")
        }
        return Artifact(tensors: tensors, facts: record.facts ?? [:], path: folder.path)
    }

    /// Writes the artifact; each file goes to a temporary name first and is renamed into place,
    /// the JSON (which makes it valid) last.
    public func save(
        model: String, method: MethodName, task: String, settings: SettingsText, artifact: Artifact
    ) throws {
        let folder = folder(model: model, method: method, task: task)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let tensorsURL = folder.appendingPathComponent("artifact.safetensors")
        let temporary = folder.appendingPathComponent(".artifact.safetensors.tmp")
        try SafetensorsWriter.write(
            artifact.tensors.keys.sorted().map { (name: $0, shape: artifact.tensors[$0]!.shape, values: artifact.tensors[$0]!.scalars) },
            to: temporary)
        try moveIntoPlace(temporary, tensorsURL)
        let data = try StoredRecord(model: model, method: method, task: task, settings: settings, facts: artifact.facts).encoded()
        let jsonTemporary = folder.appendingPathComponent(".artifact.json.tmp")
        try data.write(to: jsonTemporary)
        try moveIntoPlace(jsonTemporary, folder.appendingPathComponent("artifact.json"))
    }
}

/// Renames `source` over `destination` atomically (POSIX rename), replacing any file there.
func moveIntoPlace(_ source: URL, _ destination: URL) throws {
    if rename(source.path, destination.path) != 0 {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination.path, NSLocalizedDescriptionKey: "cannot rename \(source.path) to \(destination.path): errno \(errno)"])
    }
}

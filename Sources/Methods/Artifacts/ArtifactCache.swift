import Foundation
import ModelFormats
import Tensors
#if canImport(Glibc)
import Glibc
#endif

/// Prepared-method artifacts under `<root>/<model>/<method>/<task>/<settings key>/`:
/// `artifact.safetensors` with the tensors and `artifact.json` with the settings, their hash and
/// free-form facts. An artifact is reused only when the hash of the settings matches; each setting
/// (precision, seed, method options) has a folder of its own, so a run under other settings never
/// replaces another's artifact.
///
/// Artifacts written before settings had folders sit in the task's folder itself (the legacy
/// layout): they are still read, when their settings match, and never written.
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

    /// The folder of one task's artifacts: the legacy artifact, if any, and one folder per setting.
    public func taskFolder(model: String, method: MethodName, task: String) -> URL {
        root.appendingPathComponent(model).appendingPathComponent(method.description).appendingPathComponent(task)
    }

    /// The folder of the artifact prepared with `settings`: named by the first 16 hex digits of
    /// their hash (64 bits: no two settings of one task collide in practice).
    public func folder(model: String, method: MethodName, task: String, settings: SettingsText) -> URL {
        taskFolder(model: model, method: method, task: task).appendingPathComponent(Self.settingsKey(settings))
    }

    static func settingsKey(_ settings: SettingsText) -> String { String(settings.hash.prefix(16)) }

    /// The artifact when present and prepared with exactly `settings` (in its own folder, else in
    /// the legacy layout); nil when there is none, and it is then prepared and saved.
    /// - Throws: `MethodError.corruptArtifact` when the settings match but the JSON or the
    ///   tensors cannot be read (truncated, not safetensors), or when the JSON has no settings
    ///   hash: such a file is never silently replaced, since something else wrote or damaged it.
    public func load(model: String, method: MethodName, task: String, settings: SettingsText) throws -> Artifact? {
        let keyed = folder(model: model, method: method, task: task, settings: settings)
        if let artifact = try load(folder: keyed, method: method, settings: settings) { return artifact }
        return try load(folder: taskFolder(model: model, method: method, task: task), method: method, settings: settings)
    }

    /// Whether an artifact prepared with exactly `settings` is stored, from its JSON record alone
    /// (its tensors are not read: `load` reads and checks them).
    /// - Throws: `MethodError.corruptArtifact` when a JSON record has no settings hash.
    public func contains(model: String, method: MethodName, task: String, settings: SettingsText) throws -> Bool {
        try record(in: folder(model: model, method: method, task: task, settings: settings), method: method, settings: settings) != nil
            || record(in: taskFolder(model: model, method: method, task: task), method: method, settings: settings) != nil
    }

    /// The JSON record in `folder` when its settings hash is that of `settings`; nil when there is
    /// no record or it was prepared with other settings.
    /// - Throws: `MethodError.corruptArtifact` when the JSON is not a record with a settings hash.
    private func record(in folder: URL, method: MethodName, settings: SettingsText) throws -> StoredRecord? {
        let jsonURL = folder.appendingPathComponent("artifact.json")
        guard let data = try? Data(contentsOf: jsonURL) else { return nil }
        guard let record = try? StoredRecord.decode(data), let hash = record.settingsHash
        else { throw MethodError.corruptArtifact(method: method.description, path: jsonURL.path, reason: "not a JSON object with a settings_hash") }
        return hash == settings.hash ? record : nil
    }

    /// The artifact in `folder` when its settings hash is that of `settings`.
    private func load(folder: URL, method: MethodName, settings: SettingsText) throws -> Artifact? {
        guard let record = try record(in: folder, method: method, settings: settings) else { return nil }
        let tensorsURL = folder.appendingPathComponent("artifact.safetensors")
        let tensors: [String: Tensor]
        do {
            tensors = try Self.readTensors(tensorsURL)
        } catch {
            throw MethodError.corruptArtifact(method: method.description, path: tensorsURL.path, reason: "\(error)")
        }
        return Artifact(tensors: tensors, facts: record.facts ?? [:], path: folder.path)
    }

    /// The folders of every artifact stored for one task, whatever its settings: the legacy one
    /// first when present, then the settings' folders by name.
    public func storedFolders(model: String, method: MethodName, task: String) -> [URL] {
        let task = taskFolder(model: model, method: method, task: task)
        let keyed = ((try? FileManager.default.contentsOfDirectory(atPath: task.path)) ?? []).sorted()
            .map { task.appendingPathComponent($0) }
        return ([task] + keyed).filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("artifact.json").path) }
    }

    /// Writes the artifact into the folder of its settings; each file goes to a temporary name
    /// first and is renamed into place, the JSON (which makes it valid) last.
    public func save(
        model: String, method: MethodName, task: String, settings: SettingsText, artifact: Artifact
    ) throws {
        let folder = folder(model: model, method: method, task: task, settings: settings)
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

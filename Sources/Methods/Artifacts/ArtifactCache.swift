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
    }

    /// The hash naming a set of settings: SHA-256 of their canonical rendering.
    public static func hash(_ settings: [String: String]) -> String {
        SHA256.hexDigest(of: Array(canonicalSettings(settings).utf8))
    }

    public func folder(model: String, method: String, task: String) -> URL {
        root.appendingPathComponent(model).appendingPathComponent(method).appendingPathComponent(task)
    }

    /// The artifact when present and prepared with exactly `settings`; nil otherwise (a stale or
    /// unreadable artifact is ignored and will be overwritten).
    public func load(model: String, method: String, task: String, settings: [String: String]) -> Artifact? {
        let folder = folder(model: model, method: method, task: task)
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("artifact.json")),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              json["settings_hash"] as? String == Self.hash(settings),
              let file = try? SafetensorsFile(contentsOf: folder.appendingPathComponent("artifact.safetensors"))
        else { return nil }
        var tensors = [String: Tensor]()
        for name in file.tensorNames {
            guard let info = try? file.info(named: name), let values = try? file.floats(named: name) else { return nil }
            tensors[name] = Tensor(shape: info.shape, scalars: values)
        }
        return Artifact(tensors: tensors, facts: json["facts"] as? [String: String] ?? [:])
    }

    /// Writes the artifact; each file goes to a temporary name first and is renamed into place,
    /// the JSON (which makes it valid) last.
    public func save(
        model: String, method: String, task: String, settings: [String: String], artifact: Artifact
    ) throws {
        let folder = folder(model: model, method: method, task: task)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let tensorsURL = folder.appendingPathComponent("artifact.safetensors")
        let temporary = folder.appendingPathComponent(".artifact.safetensors.tmp")
        try SafetensorsWriter.write(
            artifact.tensors.keys.sorted().map { (name: $0, shape: artifact.tensors[$0]!.shape, values: artifact.tensors[$0]!.scalars) },
            to: temporary)
        try moveIntoPlace(temporary, tensorsURL)
        let json: [String: Any] = [
            "model": model, "method": method, "task": task, "settings": settings,
            "settings_hash": Self.hash(settings), "facts": artifact.facts,
        ]
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
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

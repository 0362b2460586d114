import Foundation

/// Where a model's files are.
public enum ModelLocation: Equatable, Sendable {
    case ggufFile(URL)
    /// A Hugging Face folder: config.json, safetensors, tokenizer.json.
    case huggingFaceFolder(URL)

    public var url: URL {
        switch self {
        case .ggufFile(let u), .huggingFaceFolder(let u): return u
        }
    }
}

/// Turns what a user types after `--model` into files: a catalog name (fetched when absent),
/// a .gguf file, a Hugging Face folder, or ORG/NAME in the Hugging Face cache.
public struct ModelLocator: Sendable {
    public let store: ModelStore
    public let environment: [String: String]

    public init(store: ModelStore, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.store = store
        self.environment = environment
    }

    /// The Hugging Face hub cache: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else ~/.cache/huggingface/hub.
    public var huggingFaceCache: URL {
        if let hub = environment["HF_HUB_CACHE"] { return URL(fileURLWithPath: hub) }
        if let home = environment["HF_HOME"] { return URL(fileURLWithPath: home).appendingPathComponent("hub") }
        let user = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: user).appendingPathComponent(".cache/huggingface/hub")
    }

    /// - Parameter log: told when a catalog model is fetched.
    /// - Throws: `ModelLoadError.modelNotFound` naming every place looked at, with a hint.
    public func locate(_ reference: String, log: (String) -> Void = { _ in }) throws -> ModelLocation {
        if store.catalog.models.contains(where: { $0.name == reference }) {
            return .ggufFile(try store.ensure(reference, log: log))
        }
        let fm = FileManager.default
        var searched = [String]()
        var isDirectory: ObjCBool = false
        let path = URL(fileURLWithPath: (reference as NSString).expandingTildeInPath)
        searched.append(path.path)
        if fm.fileExists(atPath: path.path, isDirectory: &isDirectory) {
            if !isDirectory.boolValue { return .ggufFile(path) }
            if fm.fileExists(atPath: path.appendingPathComponent("config.json").path) { return .huggingFaceFolder(path) }
            throw ModelLoadError.modelNotFound(reference, searched: searched, hint: "That folder has no config.json; pass a Hugging Face model folder or a .gguf file.")
        }
        let parts = reference.split(separator: "/")
        if parts.count == 2 {
            let repo = huggingFaceCache.appendingPathComponent("models--\(parts[0])--\(parts[1])")
            searched.append(repo.appendingPathComponent("snapshots").path)
            if let snapshot = preferredSnapshot(in: repo) { return .huggingFaceFolder(snapshot) }
        }
        throw ModelLoadError.modelNotFound(
            reference, searched: searched,
            hint: "Use a known name (\(store.catalog.names.joined(separator: ", ")); `bench models list`), a .gguf file, a Hugging Face folder, or ORG/NAME already downloaded to the Hugging Face cache (huggingface-cli download ORG/NAME).")
    }

    /// The snapshot `refs/main` points at, else the only or newest snapshot that has a config.json.
    func preferredSnapshot(in repo: URL) -> URL? {
        let snapshots = repo.appendingPathComponent("snapshots")
        if let main = try? String(contentsOf: repo.appendingPathComponent("refs/main"), encoding: .utf8) {
            let folder = snapshots.appendingPathComponent(main.trimmingCharacters(in: .whitespacesAndNewlines))
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path) { return folder }
        }
        let candidates = ((try? FileManager.default.contentsOfDirectory(at: snapshots, includingPropertiesForKeys: [.contentModificationDateKey])) ?? [])
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("config.json").path) }
        return candidates.max { a, b in
            let da = (try? a.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
            let db = (try? b.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
            return da < db
        }
    }
}

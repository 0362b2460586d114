import Foundation

/// `datasets/manifest.json`: every task file with its size, item count, SHA-256 and origin.
public struct DatasetManifest: Codable, Equatable, Sendable {
    public struct FileEntry: Codable, Equatable, Sendable {
        public var split: TaskSplit
        /// `<task>/<split>.json`, relative to the `site57` folder.
        public var path: String
        public var items: Int
        public var bytes: Int
        /// Lower-case hexadecimal.
        public var sha256: String
        /// Where the file can be downloaded from.
        public var url: String
    }

    public struct TaskEntry: Codable, Equatable, Sendable {
        public var name: String
        public var licence: String
        public var files: [FileEntry]
    }

    public var description: String
    public var licence: String
    /// Base URL of the upstream copy: `<upstream>/<task>/<split>.json`.
    public var upstream: String
    public var tasks: [TaskEntry]

    /// Every file of every task, in manifest order.
    public var files: [FileEntry] { tasks.flatMap(\.files) }

    /// Reads and validates a manifest.
    /// - Throws: `TaskError.invalidManifest` (missing, not JSON, a duplicate task, a path
    ///   that is not `<task>/<split>.json`, a bad digest or count).
    public static func load(from url: URL) throws -> DatasetManifest {
        let data: Data
        do {
            data = try TaskFileReader.readBytes(url, limit: 16 << 20)
        } catch TaskError.missingFile {
            throw TaskError.invalidManifest(
                path: url.path, reason: "no such file (run from the repository root, or pass --manifest)")
        }
        let manifest: DatasetManifest
        do {
            manifest = try JSONDecoder().decode(DatasetManifest.self, from: data)
        } catch {
            throw TaskError.invalidManifest(path: url.path, reason: "\(error)")
        }
        try manifest.validate(path: url.path)
        return manifest
    }

    /// Checks the invariants the fetcher relies on; paths in particular can never leave the
    /// data directory.
    public func validate(path: String) throws {
        var seen = Set<String>()
        for task in tasks {
            guard !task.name.isEmpty, !task.name.contains("/"), !task.name.hasPrefix(".") else {
                throw TaskError.invalidManifest(path: path, reason: "bad task name \(String(reflecting: task.name))")
            }
            guard seen.insert(task.name).inserted else {
                throw TaskError.invalidManifest(path: path, reason: "task \(task.name) listed twice")
            }
            guard Set(task.files.map(\.split)).count == task.files.count else {
                throw TaskError.invalidManifest(path: path, reason: "task \(task.name) lists a split twice")
            }
            for file in task.files {
                let expectedPath = task.name + "/" + file.split.fileName
                guard file.path == expectedPath else {
                    throw TaskError.invalidManifest(
                        path: path, reason: "file path \(String(reflecting: file.path)), expected \(expectedPath)")
                }
                let isHex = file.sha256.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
                guard file.sha256.utf8.count == 64, isHex else {
                    throw TaskError.invalidManifest(path: path, reason: "\(file.path): sha256 is not 64 hex digits")
                }
                guard file.bytes >= 0, file.bytes <= TaskFileReader.maximumFileBytes, file.items >= 0 else {
                    throw TaskError.invalidManifest(
                        path: path, reason: "\(file.path): \(file.bytes) bytes / \(file.items) items out of range")
                }
            }
        }
    }
}

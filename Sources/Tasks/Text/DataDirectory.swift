import Foundation

/// Where the task files live: `<root>/site57/<task>/<split>.json`.
public struct DataDirectory: Hashable, Sendable {
    /// The folder that holds `site57/`.
    public let root: URL

    public init(root: URL) { self.root = root }

    /// The folder of the 57 tasks' folders.
    public var taskFolder: URL { root.appendingPathComponent("site57", isDirectory: true) }

    public func fileURL(task: String, split: TaskSplit) -> URL {
        taskFolder.appendingPathComponent(task, isDirectory: true).appendingPathComponent(split.fileName)
    }

    /// The environment variable that names the data directory when no flag does.
    public static let environmentKey = "BENCH_DATA"

    /// Where fetched files are written: the flag, else `$BENCH_DATA`, else `./datasets`.
    public static func destination(
        flag: String?, environment: [String: String], currentDirectory: URL
    ) -> DataDirectory {
        if let flag, !flag.isEmpty { return DataDirectory(root: absolute(flag, from: currentDirectory)) }
        if let value = environment[environmentKey], !value.isEmpty {
            return DataDirectory(root: absolute(value, from: currentDirectory))
        }
        return DataDirectory(root: currentDirectory.appendingPathComponent("datasets", isDirectory: true))
    }

    /// Where task files are read from: as `destination`, except that when neither the flag nor
    /// `$BENCH_DATA` is given and `./datasets/site57` is absent, `../shared/datasets` is used if
    /// its `site57` exists (the read-only copy beside a checkout). An explicit choice is never
    /// replaced behind the user's back.
    public static func resolve(
        flag: String?, environment: [String: String], currentDirectory: URL
    ) -> DataDirectory {
        let chosen = destination(flag: flag, environment: environment, currentDirectory: currentDirectory)
        let explicit = (flag?.isEmpty == false) || (environment[environmentKey]?.isEmpty == false)
        if explicit || isDirectory(chosen.taskFolder) { return chosen }
        return sharedCopy(currentDirectory: currentDirectory) ?? chosen
    }

    /// `../shared/datasets` (the read-only copy beside a checkout) when its `site57` exists.
    public static func sharedCopy(currentDirectory: URL) -> DataDirectory? {
        let shared = DataDirectory(
            root: currentDirectory.deletingLastPathComponent()
                .appendingPathComponent("shared", isDirectory: true)
                .appendingPathComponent("datasets", isDirectory: true))
        return isDirectory(shared.taskFolder) ? shared : nil
    }

    /// `path` as an absolute URL, relative paths taken from `base`.
    public static func absolute(_ path: String, from base: URL) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
    }

    private static func isDirectory(_ url: URL) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &flag) && flag.boolValue
    }
}

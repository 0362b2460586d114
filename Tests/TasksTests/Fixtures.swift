import Foundation
import Testing
import TestSupport
@testable import Tasks

/// Paths to the read-only task files and reference prompts in ../shared.
enum Fixtures {
    static var sharedDatasets: URL { SharedPaths.shared.appendingPathComponent("datasets") }
    static var site57: DataDirectory { DataDirectory(root: sharedDatasets) }
    static var promptsJSON: URL { SharedPaths.reference.appendingPathComponent("prompts.json") }
    static var manifestURL: URL { SharedPaths.repositoryRoot.appendingPathComponent("datasets/manifest.json") }

    static func manifest() throws -> DatasetManifest { try DatasetManifest.load(from: manifestURL) }

    /// The names in the shared task folder; throws a message naming the folder when it is absent.
    static func sharedTaskFolders() throws -> [String] {
        let folder = site57.taskFolder.path
        guard FileManager.default.fileExists(atPath: folder) else { throw FixtureMissing(path: folder) }
        return try FileManager.default.contentsOfDirectory(atPath: folder)
    }

    struct FixtureMissing: Error, CustomStringConvertible {
        var path: String
        var description: String { "fixture folder \(path) is missing (../shared must sit beside the checkout, or set TVB_SHARED)" }
    }

    /// A fresh empty directory under the system temporary folder.
    static func temporaryDirectory(_ label: String = #function) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("TasksTests-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}

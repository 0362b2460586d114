import Foundation

/// Why a results file could not be read or written (a file that reads but does not parse as
/// rows throws `CSVError`).
enum ResultStoreError: Error, CustomStringConvertible, Equatable {
    /// A file that could not be read, written or renamed.
    case io(path: String, reason: String)

    var description: String {
        switch self {
        case let .io(path, reason):
            return "\(path): \(reason)"
        }
    }
}

extension ResultStoreError {
    /// Throws `.io` naming `folder` unless it is an existing folder, so that a mistyped results
    /// path is an error instead of an empty result. `holds` says what such a folder holds.
    static func requireFolder(_ folder: URL, holds: String) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ResultStoreError.io(path: folder.path, reason: "no such results folder (it holds \(holds), written by `bench run`)")
        }
    }
}

import ModelFormats
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where `bench datasets fetch` takes the task files from.
public enum DatasetSource: Sendable {
    /// A local copy laid out as `<dir>/<task>/<split>.json` (e.g. `../shared/datasets/site57`).
    case directory(URL)
    /// A base URL; each file is downloaded from `<base>/<task>/<split>.json`.
    case baseURL(URL)
}

/// Copies or downloads the task files into a data directory, verifying every size and SHA-256
/// against the manifest and writing each file atomically (temporary file, then rename), so a
/// data directory never holds a half-written or unverified file.
public struct DatasetFetcher {
    public let manifest: DatasetManifest
    public let destination: DataDirectory
    /// Downloads one URL, refusing a body longer than the byte limit it is given; the default
    /// (`BoundedDownload.fetch`) uses URLSession and accepts only HTTP 200.
    public var download: (_ url: URL, _ byteLimit: Int) throws -> Data

    public init(
        manifest: DatasetManifest, destination: DataDirectory,
        download: @escaping (_ url: URL, _ byteLimit: Int) throws -> Data = BoundedDownload.fetch
    ) {
        self.manifest = manifest
        self.destination = destination
        self.download = download
    }

    /// What one fetch did.
    public struct Summary: Equatable, Sendable {
        /// Files written (new or replacing a bad copy).
        public var written: [String] = []
        /// Files already present and verified.
        public var alreadyPresent: [String] = []
    }

    /// Fetches every file of the manifest. Stops at the first bad file.
    /// - Throws: `TaskError.missingFile`, `.sizeMismatch`, `.checksumMismatch` naming the
    ///   offending source file; `.downloadFailed`; `.writeFailed`.
    public func fetch(from source: DatasetSource, progress: (String) -> Void = { _ in }) throws -> Summary {
        var summary = Summary()
        for file in manifest.files {
            let target = destination.taskFolder.appendingPathComponent(file.path)
            if (try? Self.verify(target, against: file)) != nil {
                summary.alreadyPresent.append(file.path)
                continue
            }
            // More than twice the expected size is refused before it is read in full, so a huge
            // or lying source costs no memory; anything closer is read and fails the size check.
            let byteLimit = max(file.bytes, 1) * 2
            let data: Data
            let origin: String
            switch source {
            case .directory(let folder):
                let url = folder.appendingPathComponent(file.path)
                origin = url.path
                data = try TaskFileReader.readBytes(url, limit: byteLimit)
            case .baseURL(let base):
                let url = base.appendingPathComponent(file.path)
                origin = url.absoluteString
                data = try download(url, byteLimit)
            }
            try Self.check(data, against: file, origin: origin)
            try Self.writeAtomically(data, to: target)
            summary.written.append(file.path)
            progress("\(file.path): \(file.items) items, sha256 ok")
        }
        return summary
    }

    /// Verifies every file of the manifest already in the data directory.
    /// - Throws: the first problem (missing, wrong size, wrong digest), naming the file.
    public func verifyAll() throws {
        for file in manifest.files {
            try Self.verify(destination.taskFolder.appendingPathComponent(file.path), against: file)
        }
    }

    /// Checks one file on disk against its manifest entry.
    public static func verify(_ url: URL, against file: DatasetManifest.FileEntry) throws {
        let data = try TaskFileReader.readBytes(url, limit: max(file.bytes, 1) * 2)
        try check(data, against: file, origin: url.path)
    }

    /// Size first (cheap, and names truncation plainly), then the digest.
    static func check(_ data: Data, against file: DatasetManifest.FileEntry, origin: String) throws {
        guard data.count == file.bytes else {
            throw TaskError.sizeMismatch(path: origin, expected: file.bytes, found: data.count)
        }
        let digest = SHA256.hexDigest(of: data)
        guard digest == file.sha256 else {
            throw TaskError.checksumMismatch(path: origin, expected: file.sha256, found: digest)
        }
    }

    /// Writes to a temporary file beside the target, then renames it over the target: readers
    /// see the old file or the new one, never a partial one.
    static func writeAtomically(_ data: Data, to target: URL) throws {
        let folder = target.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(target.lastPathComponent).partial-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try data.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw TaskError.writeFailed(path: target.path, reason: error.localizedDescription)
        }
        guard rename(temporary.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw TaskError.writeFailed(path: target.path, reason: "rename failed: \(reason)")
        }
    }
}

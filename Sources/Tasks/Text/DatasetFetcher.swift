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
    /// Downloads one URL; the default uses URLSession and accepts only HTTP 200.
    public var download: (URL) throws -> Data

    public init(
        manifest: DatasetManifest, destination: DataDirectory,
        download: @escaping (URL) throws -> Data = DatasetFetcher.urlSessionDownload
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
            let data: Data
            let origin: String
            switch source {
            case .directory(let folder):
                let url = folder.appendingPathComponent(file.path)
                origin = url.path
                // More than twice the expected size is refused before reading, so a huge or lying
                // file costs no memory; anything closer is read and fails the size check.
                data = try TaskFileReader.readBytes(url, limit: max(file.bytes, 1) * 2)
            case .baseURL(let base):
                let url = base.appendingPathComponent(file.path)
                origin = url.absoluteString
                data = try download(url)
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

    /// A blocking download with URLSession; anything but HTTP 200 is an error. `file://` URLs
    /// (which URLSession on Linux does not serve) are read directly.
    public static func urlSessionDownload(_ url: URL) throws -> Data {
        if url.isFileURL { return try TaskFileReader.readBytes(url) }
        final class Box: @unchecked Sendable {
            var result: Result<Data, TaskError> = .failure(.downloadFailed(url: "", reason: "no response"))
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = URLSession.shared.dataTask(with: url) { data, response, error in
            defer { done.signal() }
            if let error {
                box.result = .failure(.downloadFailed(url: url.absoluteString, reason: error.localizedDescription))
            } else if let http = response as? HTTPURLResponse, http.statusCode != 200 {
                box.result = .failure(.downloadFailed(url: url.absoluteString, reason: "HTTP \(http.statusCode)"))
            } else if let data {
                box.result = .success(data)
            } else {
                box.result = .failure(.downloadFailed(url: url.absoluteString, reason: "empty response"))
            }
        }
        task.resume()
        done.wait()
        return try box.result.get()
    }
}

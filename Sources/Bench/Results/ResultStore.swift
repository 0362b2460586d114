import Foundation
import Methods
#if canImport(Glibc)
import Glibc
#endif

/// A CSV file of rows that a sweep appends to and a rerun resumes from.
///
/// Whole-file replacement rather than appending: every `append` writes the header and all rows to
/// a temporary file in the same folder, fsyncs it and renames it over the file. rename(2) within
/// one folder is atomic, so a process killed at any moment leaves either the old file or the new
/// one, never a torn row, and reading needs no repair heuristics (an appended write cut inside a
/// quoted field can look like a whole record). The cost is O(rows) bytes per row: a full sweep is
/// at most a few thousand rows of ~250 bytes, negligible next to a cell's minutes. A stale
/// temporary file left by a kill is ignored and overwritten by the next append.
///
/// Several processes may write one file (a sweep split over processes, one per core): every
/// write holds an exclusive flock(2) on the file's folder and re-reads the file under it, so rows
/// another process stored since this one opened it are kept, never overwritten.
struct CSVStore<Row: CSVRow> {
    let url: URL
    private(set) var rows: [Row]

    /// Opens `url`, creating its folders; a missing file is an empty store.
    /// - Throws: `ResultStoreError` for an unreadable file, `CSVError` for a malformed one.
    init(url: URL) throws {
        self.url = url
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw ResultStoreError.io(path: url.deletingLastPathComponent().path, reason: "cannot create the folder: \(error)")
        }
        rows = try Self.read(url)
    }

    /// The rows of the file as it is now; a missing file has none.
    private static func read(_ url: URL) throws -> [Row] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ResultStoreError.io(path: url.path, reason: "cannot read: \(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ResultStoreError.io(path: url.path, reason: "not UTF-8 text")
        }
        return try CSV.rows(Row.self, from: text, file: url.path)
    }

    /// Adds a row and makes the file hold it before returning.
    mutating func append(_ row: Row) throws {
        try append(contentsOf: [row])
    }

    /// Adds rows all at once after those in the file now: after a kill the file holds all of
    /// them or none.
    mutating func append(contentsOf new: [Row]) throws {
        try update { $0 + new }
    }

    /// Replaces every row at once (a training curve cut back to its checkpoint, a new evaluation).
    mutating func replaceAll(with all: [Row]) throws {
        try update { _ in all }
    }

    /// Under the folder's lock, reads the file's rows as they are now (another process may have
    /// added some) and writes `transform`'s result in their place, or nothing when it returns nil.
    /// `rows` becomes the file's content either way.
    /// - Returns: whether the file was written.
    @discardableResult
    mutating func update(_ transform: ([Row]) throws -> [Row]?) throws -> Bool {
        let url = url
        let (written, now): (Bool, [Row]) = try Self.withFolderLock(of: url) {
            let current = try Self.read(url)
            guard let next = try transform(current) else { return (false, current) }
            try Self.replaceFile(url, with: next)
            return (true, next)
        }
        rows = now
        return written
    }

    /// Runs `body` holding an exclusive flock(2) on the folder of `url` (released on return or
    /// when the process dies, so a kill never leaves the store locked).
    private static func withFolderLock<R>(of url: URL, _ body: () throws -> R) throws -> R {
        let folder = url.deletingLastPathComponent().path
        let fd = open(folder, O_RDONLY)
        guard fd >= 0 else { throw ResultStoreError.io(path: folder, reason: "cannot open the folder to lock it: errno \(errno)") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw ResultStoreError.io(path: folder, reason: "cannot lock the folder: errno \(errno)") }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    private static func replaceFile(_ url: URL, with all: [Row]) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".tmp")
        let bytes = Array(CSV.text(all).utf8)
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ResultStoreError.io(path: temporary.path, reason: "cannot open for writing: errno \(errno)") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                throw ResultStoreError.io(path: temporary.path, reason: "write failed: errno \(code)")
            }
            written += n
        }
        if fsync(fd) != 0 {
            let code = errno
            close(fd)
            throw ResultStoreError.io(path: temporary.path, reason: "fsync failed: errno \(code)")
        }
        close(fd)
        guard rename(temporary.path, url.path) == 0 else {
            throw ResultStoreError.io(path: url.path, reason: "cannot rename \(temporary.lastPathComponent) into place: errno \(errno)")
        }
        // The folder's entry is made durable too, so a power cut after the rename keeps the row.
        let directory = open(url.deletingLastPathComponent().path, O_RDONLY)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }
}

/// Text-task results of one model: results/runs/<model>.csv (ablations: results/ablations/<model>.csv).
struct ResultStore {
    private var store: CSVStore<ResultRow>
    private var keys: Set<ResultRow.Key>

    /// The file of `model` under `directory`.
    static func url(directory: URL, model: String) -> URL {
        directory.appendingPathComponent(model + ".csv")
    }

    /// Opens the store of `model` under `directory` (e.g. results/runs), creating folders.
    init(directory: URL, model: String) throws {
        try self.init(url: Self.url(directory: directory, model: model))
    }

    init(url: URL) throws {
        store = try CSVStore(url: url)
        keys = Set(store.rows.map(\.key))
    }

    var url: URL { store.url }
    var rows: [ResultRow] { store.rows }

    func contains(_ key: ResultRow.Key) -> Bool { keys.contains(key) }

    /// Adds a row unless its cell is already stored (a rerun never duplicates a cell).
    /// Another process's rows stored meanwhile count too: they are read under the lock first.
    /// - Returns: false when the cell was already there and nothing was written.
    @discardableResult
    mutating func append(_ row: ResultRow) throws -> Bool {
        let key = row.key
        let written = try store.update { rows in rows.contains { $0.key == key } ? nil : rows + [row] }
        keys = Set(store.rows.map(\.key))
        return written
    }
}

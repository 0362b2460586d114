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
/// temporary file left by a kill is ignored and overwritten by the next append. One writer per
/// file is assumed.
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
        guard FileManager.default.fileExists(atPath: url.path) else {
            rows = []
            return
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ResultStoreError.io(path: url.path, reason: "cannot read: \(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ResultStoreError.io(path: url.path, reason: "not UTF-8 text")
        }
        rows = try CSV.rows(Row.self, from: text, file: url.path)
    }

    /// Adds a row and makes the file hold it before returning.
    mutating func append(_ row: Row) throws {
        try append(contentsOf: [row])
    }

    /// Adds rows all at once: after a kill the file holds all of them or none.
    mutating func append(contentsOf new: [Row]) throws {
        try replaceFile(with: rows + new)
        rows += new
    }

    /// Replaces every row at once (a training curve cut back to its checkpoint, a new evaluation).
    mutating func replaceAll(with all: [Row]) throws {
        try replaceFile(with: all)
        rows = all
    }

    private func replaceFile(with all: [Row]) throws {
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
    /// - Returns: false when the cell was already there and nothing was written.
    @discardableResult
    mutating func append(_ row: ResultRow) throws -> Bool {
        guard !keys.contains(row.key) else { return false }
        try store.append(row)
        keys.insert(row.key)
        return true
    }
}

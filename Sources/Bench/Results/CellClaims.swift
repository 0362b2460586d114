import Foundation
import Methods
#if canImport(Glibc)
import Glibc
#endif

/// The cells this process runs, each held by an exclusive flock(2) on a lock file beside its
/// journal (<results>/partial/<model>/<task>/<method>-seed<S>-<hash>.lock) from the moment its task
/// group comes up until its row is stored or it fails. Several `bench run` processes given the
/// same tasks share the cells out: a process skips a cell another holds, and one that another
/// has stored since it began. A process that dies drops its locks with it, so its cells go to
/// the next process that reaches them (and resume from their journals).
final class CellClaims {
    /// Open lock files by cell.
    private var held = [ResultRow.Key: (url: URL, descriptor: Int32)]()

    var count: Int { held.count }

    /// Takes `cell` unless another process holds it or `isStored` (asked once the lock is held, so
    /// that a row stored by a process that has since let go counts) says its row exists.
    /// - Throws: `ResultStoreError` for a lock file that cannot be made or locked.
    func claim(_ cell: SweepCell, resultsDirectory: URL, isStored: () throws -> Bool) throws -> Bool {
        let key = ResultRow.Key(cell)
        if held[key] != nil { return true }
        let url = JournalFile(cell: cell, resultsDirectory: resultsDirectory).lockURL
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw ResultStoreError.io(path: url.deletingLastPathComponent().path, reason: "cannot create the folder: \(error)")
        }
        let fd = open(url.path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw ResultStoreError.io(path: url.path, reason: "cannot open the cell's lock file: errno \(errno)") }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { return false }
            throw ResultStoreError.io(path: url.path, reason: "cannot lock the cell: errno \(code)")
        }
        let stored: Bool
        do { stored = try isStored() } catch {
            close(fd)
            throw error
        }
        if stored {
            close(fd)
            return false
        }
        held[key] = (url, fd)
        return true
    }

    /// Lets go of `cell` (its row stored, or failed): the lock file goes when the row is stored,
    /// while still locked, so that whoever opens it afterwards finds the row.
    func release(_ key: ResultRow.Key, stored: Bool) {
        guard let (url, fd) = held.removeValue(forKey: key) else { return }
        if stored { unlink(url.path) }
        close(fd)
    }
}

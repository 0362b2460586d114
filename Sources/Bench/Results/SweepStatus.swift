import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Methods
import Tasks

/// Where a sweep stands, from its results folder alone (`bench status`): the stored rows by model
/// and method, and the cells under way: those with a journal or a lock under <results>/partial,
/// each running (another process holds its lock, as /proc/locks says), paused (that process is
/// stopped, by SIGSTOP or a debugger) or interrupted (its journal waits for the next run).
struct SweepStatus: Equatable {
    /// The stored rows of one (model, method, seed, scoring, cap).
    struct Stored: Equatable {
        var model: String
        var method: MethodName
        var seed: UInt64
        var scoring: ScoringMode
        var maxItems: Int?
        var tasks: Int
        var items: Int
        /// Mean accuracy over the tasks, as the main table takes it.
        var meanAccuracy: Double
    }

    /// A cell with a journal or a held lock.
    struct Open: Equatable {
        var model: String
        var task: String
        /// The journal's name: <method>-seed<S>-<settings hash>.
        var cell: String
        /// The process holding the cell's lock, nil when none does.
        var runningPid: Int?
        /// That process is stopped (state T or t in /proc/<pid>/stat): it holds the lock and
        /// answers nothing until SIGCONT.
        var paused = false
        var items: Int
        /// Items of the whole pass, where the journal recorded it.
        var passItems: Int?
        /// Wall seconds of the recorded parts.
        var seconds: Double
        var parts: Int
        /// When its journal was last written (nil without one).
        var lastPart: Date?
        /// Its row is stored: the journal is left over (a process that stopped between storing
        /// the row and deleting it), and nothing runs it again.
        var stored = false
    }

    var stored: [Stored]
    var open: [Open]

    /// Reads `results` (results/runs: <model>.csv files and partial/).
    /// - Parameters:
    ///   - locks: the text of /proc/locks (nil where there is none: every lock counts as free).
    ///   - processState: a process's state letter (`processState(pid:)`; nil: unknown, counted as running).
    /// - Throws: `ResultStoreError` for a missing folder or a file that cannot be read, `CSVError`
    ///   for a results file or journal that does not parse.
    static func read(results: URL, locks: String? = try? String(contentsOfFile: "/proc/locks", encoding: .utf8),
                     processState: (Int) -> Character? = processState(pid:)) throws -> SweepStatus {
        try ResultStoreError.requireFolder(results, holds: "<model>.csv")
        var groups = [String: (stored: Stored, accuracies: [Double])]()
        var order = [String]()
        let rows = try ResultTables.readAll(in: results)
        for row in rows {
            let key = "\(row.model)|\(row.method)|\(row.seed)|\(row.scoring.rawValue)|\(row.maxItems.map(String.init) ?? "all")"
            if groups[key] == nil {
                order.append(key)
                groups[key] = (Stored(model: row.model, method: row.method, seed: row.seed, scoring: row.scoring, maxItems: row.maxItems,
                                      tasks: 0, items: 0, meanAccuracy: 0), [])
            }
            groups[key]!.stored.tasks += 1
            groups[key]!.stored.items += row.items
            groups[key]!.accuracies.append(row.accuracy)
        }
        // By model (in file order), then seed; methods in the order their first rows were stored.
        let models = order.map { groups[$0]!.stored.model }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let sorted = order.enumerated().sorted { a, b in
            let (x, y) = (groups[a.element]!.stored, groups[b.element]!.stored)
            return (models.firstIndex(of: x.model)!, x.seed, a.offset) < (models.firstIndex(of: y.model)!, y.seed, b.offset)
        }.map(\.element)
        let stored = sorted.map { key -> Stored in
            var s = groups[key]!.stored
            let accuracies = groups[key]!.accuracies
            s.meanAccuracy = accuracies.reduce(0, +) / Double(accuracies.count)
            return s
        }
        // Journals are named by their cell's key (`ResultRow.Key.file(in:)`).
        let storedCells = Set(rows.map { "\($0.model)/\($0.task)/\($0.key.fileStem)" })
        let open = try openCells(partial: results.appendingPathComponent("partial"), held: heldInodes(locks)).map { cell in
            var cell = cell
            cell.stored = storedCells.contains("\(cell.model)/\(cell.task)/\(cell.cell)")
            cell.paused = cell.runningPid.flatMap(processState).map { $0 == "T" || $0 == "t" } ?? false
            return cell
        }
        return SweepStatus(stored: stored, open: open)
    }

    /// The cells under <partial>/<model>/<task>/, by model, task and name.
    private static func openCells(partial: URL, held: [UInt64: Int]) throws -> [Open] {
        let fm = FileManager.default
        func folders(_ url: URL) -> [String] {
            ((try? fm.contentsOfDirectory(atPath: url.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        }
        var open = [Open]()
        for model in folders(partial) {
            for task in folders(partial.appendingPathComponent(model)) {
                let folder = partial.appendingPathComponent(model).appendingPathComponent(task)
                let names = Set(folders(folder).compactMap { name -> String? in
                    name.hasSuffix(".csv") ? String(name.dropLast(4)) : name.hasSuffix(".lock") ? String(name.dropLast(5)) : nil
                })
                for cell in names.sorted() {
                    let journal = folder.appendingPathComponent(cell + ".csv"), lock = folder.appendingPathComponent(cell + ".lock")
                    var info = stat()
                    let pid = stat(lock.path, &info) == 0 ? held[UInt64(info.st_ino)] : nil
                    var items = 0, parts = 0, seconds = 0.0
                    var passItems: Int?
                    var lastPart: Date?
                    if fm.fileExists(atPath: journal.path) {
                        let recorded = try JournalFile(url: journal).recordedParts()
                        items = recorded.reduce(0) { $0 + $1.outcomes.count }
                        parts = recorded.count
                        seconds = recorded.reduce(0) { $0 + $1.seconds }
                        passItems = recorded.compactMap(\.passItems).max()
                        lastPart = (try? fm.attributesOfItem(atPath: journal.path))?[.modificationDate] as? Date
                    }
                    // A free lock without a journal is what a failed or killed cell leaves: nothing under way.
                    if pid == nil && lastPart == nil { continue }
                    open.append(Open(model: model, task: task, cell: cell, runningPid: pid, items: items, passItems: passItems,
                                     seconds: seconds, parts: parts, lastPart: lastPart))
                }
            }
        }
        return open
    }

    /// The state letter of process `pid` (R, S, D, T for stopped, t for traced, Z …), from
    /// /proc/<pid>/stat ("4242 (bench) T 1 …": the letter follows the last ')', since the command
    /// name may hold spaces and parentheses); nil where there is no such file.
    static func processState(pid: Int) -> Character? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].first { $0 != " " }
    }

    /// Inode → pid of every flock(2) in /proc/locks ("1: FLOCK  ADVISORY  WRITE 4242 08:01:131 0 EOF").
    static func heldInodes(_ locks: String?) -> [UInt64: Int] {
        var held = [UInt64: Int]()
        for line in (locks ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK", let pid = Int(fields[4]),
                  let inode = fields[5].split(separator: ":").last.flatMap({ UInt64($0) }) else { continue }
            held[inode] = pid
        }
        return held
    }

    /// The report `bench status` prints; `taskCount` tasks make a whole sweep.
    func render(taskCount: Int, now: Date = Date()) -> String {
        var lines = [String]()
        if stored.isEmpty { lines.append("no rows stored") }
        var model: String?
        for s in stored {
            if s.model != model {
                model = s.model
                lines.append("\(s.model):")
                lines.append("  method            seed  scoring                cap    tasks   items  mean accuracy")
            }
            lines.append("  " + s.method.description.padding(toLength: 18, withPad: " ", startingAt: 0)
                         + String(format: "%-5llu ", s.seed) + s.scoring.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0)
                         + (s.maxItems.map(String.init) ?? "all").padding(toLength: 6, withPad: " ", startingAt: 0)
                         + String(repeating: " ", count: max(0, 6 - "\(s.tasks)/\(taskCount)".count)) + "\(s.tasks)/\(taskCount)"
                         + String(format: "  %6d  %6.2f%%", s.items, 100 * s.meanAccuracy))
        }
        lines.append(open.isEmpty ? "no cell under way" : "under way:")
        for cell in open {
            let state = cell.stored ? "row stored, journal left over (safe to delete)"
                : cell.runningPid.map { cell.paused ? "paused (pid \($0) is stopped; SIGCONT resumes it)" : "running (pid \($0))" }
                ?? "interrupted (resumes on the next run)"
            let last = cell.lastPart.map { ", last part \(SweepProgress.duration(max(0, now.timeIntervalSince($0)))) ago" } ?? ""
            let of = cell.passItems.map { " of \($0)" } ?? ""
            var progress = cell.parts == 0 ? "no part finished yet" : "\(cell.items)\(of) items answered in \(cell.parts) part\(cell.parts == 1 ? "" : "s")"
            if let total = cell.passItems, cell.items > 0, !cell.stored, total > cell.items {
                // At the recorded parts' pace (their wall time, under the load they had).
                progress += ", about \(SweepProgress.duration(cell.seconds / Double(cell.items) * Double(total - cell.items))) left"
            }
            lines.append("  \(cell.model) \(cell.task) \(cell.cell): \(state), \(progress)\(last)")
        }
        return lines.joined(separator: "\n")
    }
}

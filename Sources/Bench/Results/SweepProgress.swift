import Foundation
import Methods
#if canImport(Glibc)
import Glibc
#endif

/// Counts a sweep's cells and, when stderr is a terminal, keeps one status line on it rewritten in
/// place: the current cell, cells done of the total, and the time left estimated from the cells
/// run so far (skipped cells cost nothing, so they do not count towards the rate).
struct SweepProgress {
    struct Failure: Equatable {
        var cell: String
        var reason: String
    }

    let total: Int
    private(set) var ran = 0
    private(set) var skipped = 0
    /// Cells another process ran or is running (`SweepEvent.takenElsewhere`).
    private(set) var takenElsewhere = 0
    private(set) var failures = [Failure]()
    /// Cells failed, counting every cell of a model that did not load.
    private(set) var failedCells = 0
    private let started: Date
    private let write: ((String) -> Void)?

    /// - Parameter write: where the status line goes; nil draws nothing. The default draws on
    ///   stderr only when it is a terminal.
    init(total: Int, started: Date = Date(), write: ((String) -> Void)? = SweepProgress.terminalWriter()) {
        self.total = total
        self.started = started
        self.write = write
    }

    static func terminalWriter() -> ((String) -> Void)? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        return { text in FileHandle.standardError.write(Data(text.utf8)) }
    }

    var done: Int { ran + skipped + takenElsewhere + failedCells }

    mutating func observe(_ event: SweepEvent, now: Date = Date()) {
        switch event {
        case .preparing(let method, let tasks):
            draw("\(method): preparing \(tasks.count == 1 ? tasks[0] : "\(tasks.count) tasks")", now: now)
        case .evaluating(let cell):
            draw("\(cell.model) \(cell.task) \(cell.method): evaluating", now: now)
        case .finished(let record):
            ran += 1
            draw("\(record.model) \(record.task) \(record.method): done", now: now)
        case .skipped:
            skipped += 1
        case .takenElsewhere:
            takenElsewhere += 1
        case .failed(let cell, let phase, let error):
            failures.append(Failure(cell: "\(cell.model) \(cell.task) \(cell.method)", reason: "\(phase.rawValue): \(error)"))
            failedCells += 1
            draw("\(cell.model) \(cell.task) \(cell.method): failed", now: now)
        }
    }

    /// A model that could not be loaded: its cells count as done, with one failure line.
    mutating func modelFailed(_ model: String, cells: Int, reason: String) {
        failedCells += cells
        failures.append(Failure(cell: "\(model) (\(cells) cells)", reason: "loading the model: \(reason)"))
    }

    /// Seconds left at the rate of the cells run so far; nil before the first.
    func secondsLeft(now: Date) -> Double? {
        guard ran > 0 else { return nil }
        return now.timeIntervalSince(started) / Double(ran) * Double(max(0, total - done))
    }

    /// "[3/12] <what> ETA 4m05s".
    func line(_ what: String, now: Date) -> String {
        let eta = secondsLeft(now: now).map { " ETA " + Self.duration($0) } ?? ""
        return "[\(done)/\(total)] \(what)\(eta)"
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, s % 3600 / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }

    private func draw(_ what: String, now: Date) {
        // "\r" returns to the line's start and ESC[K clears what a longer earlier line left.
        write?("\r" + line(what, now: now) + "\u{1B}[K")
    }

    /// Ends the status line so later output starts on a fresh one.
    func finishLine() { write?("\r\u{1B}[K") }

    /// The end-of-run summary, one line per failure.
    var summary: String {
        let elsewhere = takenElsewhere > 0 ? ", \(takenElsewhere) left to other processes" : ""
        var lines = ["cells: \(ran) run, \(skipped) skipped (already stored)\(elsewhere), \(failedCells) failed"]
        lines += failures.map { "failed: \($0.cell): \($0.reason)" }
        return lines.joined(separator: "\n")
    }
}

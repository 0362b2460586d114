import Foundation
import Methods
import Testing
@testable import Bench

@Suite(.serialized) struct SweepStatusTests {
    /// Stored rows grouped by model, seed and method (tasks, items, mean accuracy); a journal whose
    /// lock this process holds is running under its pid, one without a holder is interrupted, and a
    /// free lock without a journal (a failed cell) is not listed.
    @Test func storedRowsAndCellsUnderWay() throws {
        let root = try makeTemporaryDirectory("sweep-status")
        defer { try? FileManager.default.removeItem(at: root) }
        var store = try ResultStore(directory: root, model: "smollm2-135m")
        for (task, accuracy) in [("antonym", 0.5), ("synonym", 0.25)] {
            var row = sampleRow(task: task, method: .site)
            row.accuracy = accuracy
            try store.append(row)
        }
        try store.append(sampleRow(task: "antonym", method: .site, seed: 1))
        try store.append(sampleRow(task: "antonym", method: .zeroShot))

        let running = SweepCell(model: "smollm2-135m", task: "squad_val", method: .icl(shots: 10), seed: 0, settingsHash: "aaaaaaaaaaaa", settings: "")
        let interrupted = SweepCell(model: "smollm2-135m", task: "ag_news", method: .icl(shots: 10), seed: 0, settingsHash: "bbbbbbbbbbbb", settings: "")
        let failed = SweepCell(model: "smollm2-135m", task: "antonym", method: .ltv, seed: 0, settingsHash: "cccccccccccc", settings: "")
        let claims = CellClaims()
        #expect(try claims.claim(running, resultsDirectory: root) { false })
        for (items, seconds) in [(0..<256, 60.0), (256..<300, 10.0)] {
            var part = JournalFileTests.part(items, seconds: seconds, tokens: 100_000)
            part.passItems = 1000
            try JournalFile(cell: running, resultsDirectory: root).record(part)
        }
        try JournalFile(cell: interrupted, resultsDirectory: root).record(JournalFileTests.part(0..<256, seconds: 60, tokens: 70_000))
        #expect(try claims.claim(failed, resultsDirectory: root) { false })
        claims.release(ResultRow.Key(failed), stored: false)

        let status = try SweepStatus.read(results: root)
        #expect(status.stored.map { "\($0.method) \($0.seed) \($0.tasks) \($0.items)" } == ["site 0 2 20", "zero-shot 0 1 10", "site 1 1 10"])
        #expect(abs(status.stored[0].meanAccuracy - 0.375) < 1e-12)
        #expect(status.open.map(\.task) == ["ag_news", "squad_val"])
        #expect(status.open[0].runningPid == nil && status.open[0].items == 256 && status.open[0].parts == 1)
        #expect(status.open[1].runningPid == Int(getpid()) && status.open[1].items == 300 && status.open[1].parts == 2)
        #expect(status.open[1].passItems == 1000 && status.open[0].passItems == nil)

        let report = status.render(taskCount: 57, now: Date())
        #expect(report.contains("  site              0     exact-match           all     2/57      20   37.50%"))
        // 700 items left at 70 s per 300: 163 s.
        #expect(report.contains("smollm2-135m squad_val icl-10-seed0-aaaaaaaaaaaa: running (pid \(getpid())), 300 of 1000 items answered in 2 parts, about 2m43s left, last part 0s ago"))
        #expect(report.contains("smollm2-135m ag_news icl-10-seed0-bbbbbbbbbbbb: interrupted (resumes on the next run), 256 items answered in 1 part"))
        #expect(!report.contains("ltv"))
        // The lock holder stopped (SIGSTOP): the cell is paused, not running.
        let stopped = try SweepStatus.read(results: root, processState: { $0 == Int(getpid()) ? "T" : "S" })
        #expect(stopped.open[1].paused && !stopped.open[0].paused)
        #expect(stopped.render(taskCount: 57).contains("squad_val icl-10-seed0-aaaaaaaaaaaa: paused (pid \(getpid()) is stopped; SIGCONT resumes it), 300 of 1000"))
        #expect(try !SweepStatus.read(results: root, processState: { _ in nil }).open[1].paused, "unknown state: running")
        #expect(!status.open.contains { $0.stored })
        // A journal whose row is stored is left over, whatever its lock says.
        let leftOver = SweepCell(model: "smollm2-135m", task: "antonym", method: .site, seed: 0, settingsHash: "0123456789ab", settings: "")
        try JournalFile(cell: leftOver, resultsDirectory: root).record(JournalFileTests.part(0..<10, seconds: 1, tokens: 10))
        let again = try SweepStatus.read(results: root)
        #expect(again.open.first { $0.task == "antonym" }?.stored == true)
        #expect(again.render(taskCount: 57).contains("smollm2-135m antonym site-seed0-0123456789ab: row stored, journal left over (safe to delete), 10 items answered in 1 part"))
        claims.release(ResultRow.Key(running), stored: false)
        #expect(try SweepStatus.read(results: root).open.allSatisfy { $0.runningPid == nil }, "released: nothing runs")
    }

    /// A real child process reads as sleeping, then stopped after SIGSTOP, then gone.
    @Test func processStateReadsProcStat() throws {
        // /proc/<pid>/stat gives the main thread's state; the tests run on others.
        #expect(SweepStatus.processState(pid: Int(getpid())).map { "RS".contains($0) } == true)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        try child.run()
        let pid = Int(child.processIdentifier)
        defer { kill(pid_t(pid), SIGKILL); child.waitUntilExit() }
        func state(becomes letter: Character) -> Bool {
            for _ in 0..<200 {
                if SweepStatus.processState(pid: pid) == letter { return true }
                usleep(10_000)
            }
            return false
        }
        #expect(state(becomes: "S"))
        kill(pid_t(pid), SIGSTOP)
        #expect(state(becomes: "T"))
        kill(pid_t(pid), SIGCONT)
        #expect(state(becomes: "S"))
        #expect(SweepStatus.processState(pid: Int(Int32.max)) == nil, "no such process")
    }

    @Test func heldInodesAreReadFromProcLocks() {
        let text = """
            1: FLOCK  ADVISORY  WRITE 4242 fd:01:131 0 EOF
            2: POSIX  ADVISORY  WRITE 77 08:01:99 0 EOF
            3: FLOCK  ADVISORY  WRITE 5151 08:01:2049 0 EOF
            garbage line
            """
        #expect(SweepStatus.heldInodes(text) == [131: 4242, 2049: 5151])
        #expect(SweepStatus.heldInodes(nil).isEmpty)
    }

    /// A results folder that does not exist is an error naming it, not an empty report.
    @Test func missingFolderIsNamed() throws {
        let root = try makeTemporaryDirectory("sweep-status-missing").appendingPathComponent("rusn")
        #expect(throws: ResultStoreError.io(path: root.path, reason: "no such results folder (it holds <model>.csv, written by `bench run`)")) {
            try SweepStatus.read(results: root)
        }
        #expect(!FileManager.default.fileExists(atPath: root.path))
    }

    /// A journal that does not parse stops the report with an error naming it.
    @Test func malformedJournalIsNamed() throws {
        let root = try makeTemporaryDirectory("sweep-status-bad")
        defer { try? FileManager.default.removeItem(at: root) }
        let journal = JournalFile(cell: JournalFileTests.cell, resultsDirectory: root)
        try FileManager.default.createDirectory(at: journal.url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "part,index\n0,1\n".write(to: journal.url, atomically: true, encoding: .utf8)
        #expect { try SweepStatus.read(results: root) } throws: { "\($0)".contains(journal.url.path) }
    }
}

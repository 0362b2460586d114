import Foundation
import Methods
import Testing
import TestSupport
@testable import Bench
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct JournalFileTests {
    static let cell = SweepCell(model: "m", task: "antonym", method: .icl(shots: 10), seed: 2, settingsHash: "0123456789ab", settings: "shots=10")

    static func part(_ indices: Range<Int>, seconds: Double, cpuSeconds: Double? = 0.5, tokens: Int) -> EvaluationPart {
        EvaluationPart(outcomes: indices.map { ItemOutcome(index: $0, target: "t,\($0)", prediction: "p \"\($0)\"\n", correct: $0 % 2 == 0) },
                       seconds: seconds, cpuSeconds: cpuSeconds, promptTokens: tokens)
    }

    /// Parts come back as recorded, in order (targets and predictions with commas, quotes and
    /// newlines included); the file sits under partial/<model>/<task>/ and goes on `remove`.
    @Test func partsRoundTrip() throws {
        let root = try makeTemporaryDirectory("journal-file")
        defer { try? FileManager.default.removeItem(at: root) }
        let journal = JournalFile(cell: Self.cell, resultsDirectory: root)
        #expect(journal.url.path.hasSuffix("partial/m/antonym/icl-10-seed2-0123456789ab.csv"))
        #expect(try journal.recordedParts().isEmpty)
        let parts = [Self.part(0..<3, seconds: 1.5, tokens: 300), Self.part(3..<5, seconds: 0.25, cpuSeconds: nil, tokens: 20)]
        for part in parts { try journal.record(part) }
        #expect(try journal.recordedParts() == parts)
        #expect(try JournalFile(cell: Self.cell, resultsDirectory: root).recordedParts() == parts, "a new process reads the same parts")
        try journal.remove()
        #expect(!FileManager.default.fileExists(atPath: journal.url.path))
        try journal.remove()  // already gone: fine
    }

    /// A journal written before CPU seconds were recorded (no part_cpu_seconds column) reads, its
    /// parts without CPU seconds, and takes new parts with the whole header.
    @Test func journalWithoutCPUColumnReads() throws {
        let root = try makeTemporaryDirectory("journal-file-old")
        defer { try? FileManager.default.removeItem(at: root) }
        let journal = JournalFile(cell: Self.cell, resultsDirectory: root)
        try FileManager.default.createDirectory(at: journal.url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "part,index,target,prediction,correct,part_seconds,part_prompt_tokens\n0,0,a,a,true,2.5,40\n0,1,b,c,false,2.5,40\n"
            .write(to: journal.url, atomically: true, encoding: .utf8)
        let old = EvaluationPart(outcomes: [ItemOutcome(index: 0, target: "a", prediction: "a", correct: true),
                                            ItemOutcome(index: 1, target: "b", prediction: "c", correct: false)],
                                 seconds: 2.5, cpuSeconds: nil, promptTokens: 40)
        #expect(try journal.recordedParts() == [old])
        try journal.record(Self.part(2..<4, seconds: 1, cpuSeconds: 0.75, tokens: 10))
        #expect(try journal.recordedParts() == [old, Self.part(2..<4, seconds: 1, cpuSeconds: 0.75, tokens: 10)])
        #expect(try String(contentsOf: journal.url, encoding: .utf8).hasPrefix(JournalFile.Row.header.joined(separator: ",") + "\n"))
    }

    /// A journal that does not parse is an error naming the file, and the file is left as it was.
    @Test func malformedJournalNamesItsFile() throws {
        let root = try makeTemporaryDirectory("journal-file-bad")
        defer { try? FileManager.default.removeItem(at: root) }
        let journal = JournalFile(cell: Self.cell, resultsDirectory: root)
        try FileManager.default.createDirectory(at: journal.url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let text = JournalFile.Row.header.joined(separator: ",") + "\n0,1,a,b,maybe,1.0,3\n"
        try text.write(to: journal.url, atomically: true, encoding: .utf8)
        do {
            _ = try journal.recordedParts()
            Issue.record("a malformed journal was read")
        } catch {
            #expect("\(error)".contains(journal.url.path))
        }
        #expect(try String(contentsOf: journal.url, encoding: .utf8) == text)
    }

    /// `bench run` killed inside a cell's test pass, after some of its parts were recorded, resumes
    /// from them: the rerun stores the row an uncut run stores and deletes the journal.
    @Test func killedCellResumesFromItsJournal() throws {
        try #require(FileManager.default.fileExists(atPath: SharedPaths.smolLM2.path), "model missing: \(SharedPaths.smolLM2.path)")
        let bench = try KillResumeTests.benchExecutable()
        let root = try makeTemporaryDirectory("journal-resume")
        defer { try? FileManager.default.removeItem(at: root) }
        func arguments(_ folder: URL) -> [String] {
            // A part per batch of 8, so 16 items make 2 parts.
            [
                "run", "--model", SharedPaths.smolLM2.path, "--tasks", "antonym", "--methods", "icl", "--max-items", "16",
                "--batch-size", "8", "--journal-part-tokens", "1", "--results", folder.appendingPathComponent("runs").path,
                "--artifacts", folder.appendingPathComponent("artifacts").path,
                "--data-dir", SharedPaths.shared.appendingPathComponent("datasets").path,
                "--manifest", SharedPaths.repositoryRoot.appendingPathComponent("datasets/manifest.json").path,
            ]
        }
        func start(_ folder: URL) throws -> Process {
            let process = Process()
            process.executableURL = bench
            process.arguments = arguments(folder)
            process.currentDirectoryURL = SharedPaths.repositoryRoot
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        func rows(_ folder: URL) throws -> [ResultRow] {
            let runs = folder.appendingPathComponent("runs")
            let files = try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { $0.hasSuffix(".csv") }
            return try files.flatMap { try ResultStore(url: runs.appendingPathComponent($0)).rows }
        }
        func journals(_ folder: URL) -> [URL] {
            let partial = folder.appendingPathComponent("runs/partial")
            guard let walker = FileManager.default.enumerator(at: partial, includingPropertiesForKeys: nil) else { return [] }
            return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "csv" && !$0.lastPathComponent.hasPrefix(".") }
        }

        let uncut = root.appendingPathComponent("uncut"), cut = root.appendingPathComponent("cut")
        let reference = try start(uncut)
        reference.waitUntilExit()
        try #require(reference.terminationStatus == 0)
        let expected = try #require(try rows(uncut).first)
        #expect(expected.items == 16 && journals(uncut).isEmpty)

        // Killed once the first part is in the journal and before the row is written.
        let process = try start(cut)
        var partsAtKill = 0
        while process.isRunning {
            if let file = journals(cut).first, let parts = try? JournalFile.Row.parts(in: file), parts >= 1 {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                partsAtKill = parts
                break
            }
            usleep(5_000)
        }
        try #require(partsAtKill == 1, "killed with 1 of 2 parts recorded (got \(partsAtKill))")
        #expect(try rows(cut).isEmpty)
        let rerun = try start(cut)
        rerun.waitUntilExit()
        try #require(rerun.terminationStatus == 0)
        let resumed = try #require(try rows(cut).first)
        #expect(resumed.key == expected.key)
        #expect(resumed.correct == expected.correct && resumed.items == expected.items && resumed.testPromptTokens == expected.testPromptTokens)
        #expect(journals(cut).isEmpty, "the finished cell's journal is deleted")
    }
}

extension JournalFile.Row {
    /// The number of parts in the journal at `url` as it is now.
    static func parts(in url: URL) throws -> Int {
        Set(try CSVStore<JournalFile.Row>(url: url).rows.map(\.part)).count
    }
}

@Suite(.serialized) struct CellClaimsTests {
    /// A held cell is refused to a second holder (another open file description, as another
    /// process has), a stored one to anyone; a failed cell's lock goes back, a stored cell's
    /// lock file goes with it.
    @Test func claimsExcludeEachOtherUntilReleased() throws {
        let root = try makeTemporaryDirectory("cell-claims")
        defer { try? FileManager.default.removeItem(at: root) }
        let cell = JournalFileTests.cell, key = ResultRow.Key(cell)
        let lock = JournalFile(cell: cell, resultsDirectory: root).lockURL
        let first = CellClaims(), second = CellClaims()
        #expect(try first.claim(cell, resultsDirectory: root) { false })
        #expect(try first.claim(cell, resultsDirectory: root) { false }, "claiming again what this process holds")
        #expect(FileManager.default.fileExists(atPath: lock.path))
        #expect(try !second.claim(cell, resultsDirectory: root) { false })
        first.release(key, stored: false)
        #expect(FileManager.default.fileExists(atPath: lock.path), "a failed cell's lock file stays for the next taker")
        #expect(try second.claim(cell, resultsDirectory: root) { false })
        second.release(key, stored: true)
        #expect(!FileManager.default.fileExists(atPath: lock.path))
        #expect(try !first.claim(cell, resultsDirectory: root) { true }, "a cell stored meanwhile is not taken")
        #expect(first.count == 0 && second.count == 0)
    }

    /// Two `bench run` processes started together on the same tasks share the cells: each is
    /// stored once and run by one process only (the two summaries' runs add up to the cells).
    @Test func twoProcessesShareOneTaskList() throws {
        try #require(FileManager.default.fileExists(atPath: SharedPaths.smolLM2.path), "model missing: \(SharedPaths.smolLM2.path)")
        let bench = try KillResumeTests.benchExecutable()
        let root = try makeTemporaryDirectory("cell-claims-run")
        defer { try? FileManager.default.removeItem(at: root) }
        let tasks = ["country-capital", "next_item", "antonym", "capitalize"]
        func start() throws -> (Process, Pipe) {
            let process = Process(), output = Pipe()
            process.executableURL = bench
            process.arguments = [
                "run", "--model", SharedPaths.smolLM2.path, "--tasks", tasks.joined(separator: ","), "--methods", "icl", "--shots", "3",
                "--max-items", "4", "--scoring", "first-token", "--results", root.appendingPathComponent("runs").path,
                "--artifacts", root.appendingPathComponent("artifacts").path,
                "--data-dir", SharedPaths.shared.appendingPathComponent("datasets").path,
                "--manifest", SharedPaths.repositoryRoot.appendingPathComponent("datasets/manifest.json").path,
            ]
            process.currentDirectoryURL = SharedPaths.repositoryRoot
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            return (process, output)
        }
        let runs = try [start(), start()]
        var ran = 0
        for (process, output) in runs {
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "bench run failed: \(text)")
            let summary = try #require(text.split(separator: "\n").first { $0.hasPrefix("cells: ") }, "no summary in \(text)")
            ran += try #require(Int(summary.dropFirst("cells: ".count).prefix { $0.isNumber }))
        }
        let folder = root.appendingPathComponent("runs")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".csv") }
        try #require(files.count == 1, "one result file: \(files)")
        let rows = try ResultStore(url: folder.appendingPathComponent(files[0])).rows
        #expect(rows.map(\.task).sorted() == tasks.sorted(), "every cell stored once")
        #expect(ran == tasks.count, "no cell run by both processes")
    }
}

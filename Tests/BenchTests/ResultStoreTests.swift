import Foundation
import Methods
import Synchronization
import Testing
@testable import Bench

/// A fresh folder under the system temporary directory.
func makeTemporaryDirectory(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func sampleRow(task: String = "country-capital", method: MethodName = .site, seed: UInt64 = 0, settings: String = "lr=0.01;steps=4") -> ResultRow {
    ResultRow(
        RunRecord(
            model: "smollm2-135m", task: task, method: method, seed: seed, settingsHash: "0123456789ab", settings: settings,
            scoring: .exactMatch, shots: 10, maxItems: nil, accuracy: 0.1 + 0.2, correct: 3, items: 10, preparationSeconds: 12.5,
            preparationTokens: 4096, preparedFromCache: false, testSeconds: 1.0 / 3.0, testPromptTokens: 777),
        provenance: RowProvenance(peakMemoryMiB: 812.25, codeVersion: "f1fdf5e-dirty", dataVersion: "abcdef012345",
                                  finishedAt: "2026-11-21T20:00:00Z"))
}

@Suite struct CSVCodecTests {
    @Test func awkwardFieldsRoundTrip() throws {
        let awkward = ["plain", "", "a,b", "say \"hi\"", "two\nlines", "cr\r\nlf", "\"", ",", "ünïcödé ✓", " padded ", "\"\"\"", "end,\n\""]
        let text = CSV.line(awkward) + CSV.line(["x", "y"]) + CSV.line(awkward.reversed())
        let records = try CSV.parse(text, file: "f.csv")
        #expect(records.map(\.fields) == [awkward, ["x", "y"], awkward.reversed()])
        // The second record starts after the three line feeds inside the first.
        #expect(records.map(\.line) == [1, 5, 6])
    }

    @Test func quotingOnlyWhereNeeded() {
        #expect(CSV.line(["a", "b c", "d,e", "f\"g"]) == "a,b c,\"d,e\",\"f\"\"g\"\n")
    }

    @Test func crlfAndMissingFinalNewlineAreRead() throws {
        let records = try CSV.parse("a,b\r\nc,\"d\"\r\n\ne,f", file: "f.csv")
        #expect(records.map(\.fields) == [["a", "b"], ["c", "d"], ["e", "f"]])
        #expect(records.map(\.line) == [1, 2, 4])
    }

    @Test func resultRowRoundTripsExactly() throws {
        var rows = [sampleRow(), sampleRow(task: "next_item", method: .icl(shots: 10), seed: 7, settings: "note=a,\"b\"\nc;shots=10")]
        rows[1].maxItems = 4
        rows[1].preparedFromCache = true
        rows[1].accuracy = 2.0 / 3.0
        rows[1].preparationCPUSeconds = 1.0 / 7.0
        rows[1].testCPUSeconds = 0
        let text = CSV.text(rows)
        #expect(text.hasPrefix(ResultRow.header.joined(separator: ",") + "\n"))
        #expect(text.hasPrefix("model,task,method,seed,settings_hash,settings,scoring,shots,max_items,accuracy,correct,items,"
            + "prep_seconds,prep_tokens,prep_cached,test_seconds,test_prompt_tokens,prep_cpu_seconds,test_cpu_seconds,"
            + "peak_memory_mib,code_version,data_version,finished_at\n"))
        let back = try CSV.rows(ResultRow.self, from: text, file: "runs.csv")
        #expect(back == rows)
        #expect(back[0].accuracy == 0.1 + 0.2)
        #expect(back[1].csvFields[8] == "4" && back[0].csvFields[8] == "")
    }

    @Test func regressionRowRoundTripsExactly() throws {
        let row = RegressionResultRow(
            checkpoint: "results/regression/linear-d10-small", function: "linear", dims: 10, method: "ltv", condition: "scaled-x-0.5",
            inContextExamples: 20, squaredErrorPerDim: 0.123456789012345, prompts: 64, seed: 3, settingsHash: "fedcba987654",
            settings: "lr=0.001;steps=100", prepSeconds: 2.5, codeVersion: "unknown", finishedAt: "2026-11-21T20:00:00Z")
        let text = CSV.text([row, row])
        #expect(text.hasPrefix("checkpoint,function,dims,method,condition,in_context_examples,squared_error_per_dim,prompts,seed,"
            + "settings_hash,settings,prep_seconds,code_version,finished_at\n"))
        #expect(try CSV.rows(RegressionResultRow.self, from: text, file: "steering.csv") == [row, row])
    }

    @Test func malformedRecordsNameFileAndLine() {
        let header = ResultRow.header.joined(separator: ",") + "\n"
        let good = CSV.line(sampleRow().csvFields)
        let cases: [(String, CSVError)] = [
            (header + good + "a,\"b", .malformedRow(file: "bad.csv", line: 3, reason: "a quoted field is not closed before the end of the file")),
            (header + good + "a,b\"c\n", .malformedRow(file: "bad.csv", line: 3, reason: "a quote inside an unquoted field")),
            (header + "\"a\"b,c\n", .malformedRow(file: "bad.csv", line: 2, reason: "text after a closing quote")),
            (header + good + good + "x,y\n", .malformedRow(file: "bad.csv", line: 4, reason: "2 fields, expected 23")),
        ]
        for (text, expected) in cases {
            #expect(throws: expected) { try CSV.rows(ResultRow.self, from: text, file: "bad.csv") }
        }
    }

    @Test func badFieldsAndHeadersAreNamed() {
        let header = ResultRow.header.joined(separator: ",") + "\n"
        var fields = sampleRow().csvFields
        fields[3] = "-1"
        #expect(throws: CSVError.badField(file: "f.csv", line: 2, column: "seed", value: "-1", expected: "an unsigned integer")) {
            try CSV.rows(ResultRow.self, from: header + CSV.line(fields), file: "f.csv")
        }
        fields = sampleRow().csvFields
        fields[14] = "yes"
        #expect(throws: CSVError.badField(file: "f.csv", line: 2, column: "prep_cached", value: "yes", expected: "true or false")) {
            try CSV.rows(ResultRow.self, from: header + CSV.line(fields), file: "f.csv")
        }
        fields = sampleRow().csvFields
        fields[9] = "high"
        #expect(throws: CSVError.badField(file: "f.csv", line: 2, column: "accuracy", value: "high", expected: "a number")) {
            try CSV.rows(ResultRow.self, from: header + CSV.line(fields), file: "f.csv")
        }
        // Typed columns: a method name and a scoring that do not exist.
        fields = sampleRow().csvFields
        fields[2] = "site-v2"
        #expect(throws: CSVError.badField(file: "f.csv", line: 2, column: "method", value: "site-v2", expected: MethodName.spellings)) {
            try CSV.rows(ResultRow.self, from: header + CSV.line(fields), file: "f.csv")
        }
        fields = sampleRow().csvFields
        fields[6] = "exact"
        #expect {
            try CSV.rows(ResultRow.self, from: header + CSV.line(sampleRow().csvFields) + CSV.line(fields), file: "f.csv")
        } throws: { error in
            guard case let CSVError.badField(file, line, column, value, _) = error else { return false }
            return file == "f.csv" && line == 3 && column == "scoring" && value == "exact"
        }
        #expect(throws: CSVError.unexpectedHeader(file: "f.csv", expected: ResultRow.header, found: ["model", "task"])) {
            try CSV.rows(ResultRow.self, from: "model,task\n", file: "f.csv")
        }
        let message = CSVError.malformedRow(file: "runs/x.csv", line: 9, reason: "r").description
        #expect(message == "runs/x.csv:9: malformed CSV row: r")
    }
}

@Suite struct ResultStoreTests {
    /// A results file stored before the CPU-second columns reads them as empty; the next append
    /// writes the whole header, the old rows keeping their values and empty CPU fields. A header
    /// missing any other column is still an error.
    @Test func filesWithoutTheCPUColumnsReadAndGrowThem() throws {
        let root = try makeTemporaryDirectory("store-old")
        defer { try? FileManager.default.removeItem(at: root) }
        let old = sampleRow()
        let oldHeader = ResultRow.header.filter { !ResultRow.addedColumns.contains($0) }
        #expect(oldHeader.count == ResultRow.header.count - 2)
        let fields = Dictionary(uniqueKeysWithValues: zip(ResultRow.header, old.csvFields))
        let url = root.appendingPathComponent("smollm2-135m.csv")
        try (CSV.line(oldHeader) + CSV.line(oldHeader.map { fields[$0]! })).write(to: url, atomically: true, encoding: .utf8)
        var store = try ResultStore(url: url)
        #expect(store.rows == [old] && old.preparationCPUSeconds == nil)
        var new = sampleRow(task: "next_item")
        new.preparationCPUSeconds = 12.25
        new.testCPUSeconds = 0.5
        #expect(try store.append(new))
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.hasPrefix(CSV.line(ResultRow.header)))
        #expect(try ResultStore(url: url).rows == [old, new])
        var missingOther = oldHeader
        missingOther.removeAll { $0 == "peak_memory_mib" }
        #expect(throws: CSVError.self) { try CSV.rows(ResultRow.self, from: CSV.line(missingOther), file: "f.csv") }
    }

    @Test func createsFoldersAppendsAndReopens() throws {
        let root = try makeTemporaryDirectory("store")
        defer { try? FileManager.default.removeItem(at: root) }
        let directory = root.appendingPathComponent("results/runs")
        var store = try ResultStore(directory: directory, model: "smollm2-135m")
        #expect(store.rows.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: store.url.path))
        let first = sampleRow(), second = sampleRow(task: "next_item")
        #expect(!store.contains(first.key))
        #expect(try store.append(first))
        #expect(try store.append(second))
        #expect(store.contains(first.key) && store.contains(second.key))
        // The same cell again is not written twice.
        var again = first
        again.accuracy = 1
        #expect(try !store.append(again))
        #expect(store.url.path == directory.appendingPathComponent("smollm2-135m.csv").path)

        let reopened = try ResultStore(directory: directory, model: "smollm2-135m")
        #expect(reopened.rows == [first, second])
        #expect(reopened.contains(second.key))
        #expect(!reopened.contains(sampleRow(seed: 1).key))
        let text = try String(contentsOf: store.url, encoding: .utf8)
        #expect(text == CSV.text([first, second]))
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["smollm2-135m.csv"])
    }

    @Test func keyDistinguishesSeedAndSettings() throws {
        let root = try makeTemporaryDirectory("store")
        defer { try? FileManager.default.removeItem(at: root) }
        var store = try ResultStore(directory: root, model: "m")
        var other = sampleRow()
        other.settingsHash = "ffffffffffff"
        #expect(try store.append(sampleRow()))
        #expect(try store.append(sampleRow(seed: 1)))
        #expect(try store.append(other))
        #expect(try store.append(sampleRow(method: .ltv)))
        #expect(store.rows.count == 4)
    }

    @Test func twoWritersOfOneFileKeepEachOthersRows() throws {
        let root = try makeTemporaryDirectory("store")
        defer { try? FileManager.default.removeItem(at: root) }
        // Both opened while the file was empty, as two sweep processes started together.
        var a = try ResultStore(directory: root, model: "m"), b = try ResultStore(directory: root, model: "m")
        #expect(try a.append(sampleRow(task: "t1")))
        #expect(try b.append(sampleRow(task: "t2")))
        #expect(b.rows.map(\.task) == ["t1", "t2"])
        // a learns of b's row when it next writes, and does not store b's cell a second time.
        #expect(try !a.append(sampleRow(task: "t2")))
        #expect(a.rows.map(\.task) == ["t1", "t2"] && a.contains(sampleRow(task: "t2").key))
        #expect(try a.append(sampleRow(task: "t3")))
        #expect(try ResultStore(directory: root, model: "m").rows.map(\.task) == ["t1", "t2", "t3"])
    }

    @Test func concurrentWritersLoseNoRow() throws {
        let root = try makeTemporaryDirectory("store")
        defer { try? FileManager.default.removeItem(at: root) }
        let writers = 4, rowsEach = 8
        let failures = Mutex<[String]>([])
        // Each writer opens the file itself: flock(2) locks of separate opens exclude each other
        // as those of separate processes do.
        DispatchQueue.concurrentPerform(iterations: writers) { w in
            do {
                var store = try ResultStore(directory: root, model: "m")
                for r in 0..<rowsEach { try store.append(sampleRow(task: "w\(w)-r\(r)")) }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let tasks = try ResultStore(directory: root, model: "m").rows.map(\.task)
        #expect(tasks.count == writers * rowsEach)
        #expect(Set(tasks).count == writers * rowsEach)
    }

    @Test func staleTemporaryFileFromAKillIsIgnored() throws {
        let root = try makeTemporaryDirectory("store")
        defer { try? FileManager.default.removeItem(at: root) }
        var store = try ResultStore(directory: root, model: "m")
        try store.append(sampleRow())
        // A process killed between writing the temporary file and renaming it leaves this behind.
        let stale = root.appendingPathComponent(".m.csv.tmp")
        try Data("model,task\ntorn,\"row".utf8).write(to: stale)
        var reopened = try ResultStore(directory: root, model: "m")
        #expect(reopened.rows == [sampleRow()])
        try reopened.append(sampleRow(task: "t2"))
        #expect(try ResultStore(directory: root, model: "m").rows.map(\.task) == ["country-capital", "t2"])
        #expect(!FileManager.default.fileExists(atPath: stale.path))
    }

    @Test func malformedStoreFileIsAnErrorNotAnEmptyStore() throws {
        let root = try makeTemporaryDirectory("store")
        defer { try? FileManager.default.removeItem(at: root) }
        let url = root.appendingPathComponent("m.csv")
        try Data((CSV.line(ResultRow.header) + "a,\"b\n").utf8).write(to: url)
        #expect(throws: CSVError.malformedRow(file: url.path, line: 2, reason: "a quoted field is not closed before the end of the file")) {
            try ResultStore(url: url)
        }
        try Data([0xFF, 0xFE, 0x00]).write(to: url)
        #expect(throws: ResultStoreError.io(path: url.path, reason: "not UTF-8 text")) { try ResultStore(url: url) }
    }

    @Test func unwritableFolderIsAnError() throws {
        let root = try makeTemporaryDirectory("store")
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("occupied")
        try Data("x".utf8).write(to: file)
        // A folder path that runs through a regular file cannot be created.
        #expect(throws: ResultStoreError.self) { try ResultStore(directory: file.appendingPathComponent("runs"), model: "m") }
    }
}


import ArgumentParser
import Foundation
import Methods
import Testing
@testable import Bench

@Suite struct CompareTests {
    /// A row of `sampleRow`'s shape with the given cell and counts.
    func row(_ task: String, _ method: MethodName, correct: Int, items: Int = 50, seed: UInt64 = 0, hash: String = "aaaaaaaaaaaa",
             maxItems: Int? = 50, scoring: ScoringMode = .exactMatch) -> ResultRow {
        var r = sampleRow(task: task, method: method, seed: seed)
        r.settingsHash = hash
        r.correct = correct
        r.items = items
        r.accuracy = Double(correct) / Double(items)
        r.maxItems = maxItems
        r.scoring = scoring
        return r
    }

    func folder(_ label: String, _ rows: [ResultRow]) throws -> URL {
        let url = try makeTemporaryDirectory(label)
        var store = try ResultStore(directory: url, model: "smollm2-135m")
        for r in rows { try store.append(r) }
        return url
    }

    @Test func matchesCellsWhateverTheirSettingsAndSaysWhatItLeftOut() {
        let baseline = [
            row("antonym", .site, correct: 10), row("capitalize", .site, correct: 20), row("antonym", .taskVectors, correct: 5),
            row("only-here", .site, correct: 1),
            // Two settings of one cell in one folder: not comparable.
            row("synonym", .site, correct: 3, hash: "bbbbbbbbbbbb"), row("synonym", .site, correct: 4, hash: "cccccccccccc"),
            row("sentiment", .site, correct: 7, items: 40),
            row("antonym", .site, correct: 10, scoring: .filteredFirstToken),
        ].map(\.record)
        let other = [
            row("antonym", .site, correct: 12, hash: "dddddddddddd"), row("capitalize", .site, correct: 19, hash: "dddddddddddd"),
            row("antonym", .taskVectors, correct: 5, hash: "dddddddddddd"), row("synonym", .site, correct: 3, hash: "dddddddddddd"),
            row("sentiment", .site, correct: 7, items: 50, hash: "dddddddddddd"), row("elsewhere", .site, correct: 1, hash: "dddddddddddd"),
        ].map(\.record)
        let m = ComparisonTables.match(baseline: baseline, other: other)
        // In table order: TV before SITE, then by task.
        #expect(m.matched.map(\.key.group.method) == [.taskVectors, .site, .site])
        #expect(m.matched.map(\.key.task) == ["antonym", "antonym", "capitalize"])
        #expect(m.matched.map(\.other.correct) == [5, 12, 19])
        #expect(m.baselineOnly == 2)  // only-here, and the filtered-scoring antonym
        #expect(m.otherOnly == 1)
        #expect(m.ambiguous == 1)
        #expect(m.itemsDiffer == 1)
    }

    @Test func summaryAveragesTheCommonCellsAndCountsTheDifferingOnes() throws {
        let baseline = [row("antonym", .site, correct: 10), row("capitalize", .site, correct: 20), row("antonym", .taskVectors, correct: 5)]
        let other = [row("antonym", .site, correct: 12, hash: "dddddddddddd"), row("capitalize", .site, correct: 19, hash: "dddddddddddd"),
                     row("antonym", .taskVectors, correct: 5, hash: "dddddddddddd")]
        let m = ComparisonTables.match(baseline: baseline.map(\.record), other: other.map(\.record))
        let table = try ComparisonTables.summary(m, baseline: "A", other: "B")
        // TV first (table order of methods), then SITE: (20 + 40) / 2 = 30% against (24 + 38) / 2 = 31%.
        #expect(table.rows == [
            ["smollm2-135m", "TV", "exact-match", "50", "1", "10.00", "10.00", "+0.00", "0", "0.00"],
            ["smollm2-135m", "SITE", "exact-match", "50", "2", "30.00", "31.00", "+1.00", "2", "4.00"],
        ])
        #expect(!table.notes.contains { $0.hasPrefix("Cells left out") })
        let cells = ComparisonTables.differingCells(m, baseline: "A", other: "B")
        #expect(cells.rows == [
            ["smollm2-135m", "antonym", "SITE", "0", "exact-match", "50", "10/50", "12/50", "+4.00"],
            ["smollm2-135m", "capitalize", "SITE", "0", "exact-match", "50", "20/50", "19/50", "-2.00"],
        ])
    }

    @Test func seedsAreCellsOfTheirOwn() throws {
        let baseline = [row("antonym", .site, correct: 10, seed: 0), row("antonym", .site, correct: 20, seed: 1)]
        let other = [row("antonym", .site, correct: 10, seed: 0, hash: "d"), row("antonym", .site, correct: 30, seed: 1, hash: "d")]
        let m = ComparisonTables.match(baseline: baseline.map(\.record), other: other.map(\.record))
        let table = try ComparisonTables.summary(m, baseline: "A", other: "B")
        #expect(table.rows == [["smollm2-135m", "SITE", "exact-match", "50", "2", "30.00", "40.00", "+10.00", "1", "20.00"]])
    }

    @Test func nothingInCommonIsAnErrorSayingWhy() {
        let m = ComparisonTables.match(baseline: [row("antonym", .site, correct: 1).record],
                                       other: [row("antonym", .site, correct: 1, items: 40).record])
        #expect(throws: ComparisonError.nothingInCommon(baseline: "A", other: "B", baselineOnly: 0, otherOnly: 0, ambiguous: 0, itemsDiffer: 1)) {
            try ComparisonTables.summary(m, baseline: "A", other: "B")
        }
    }

    @Test func commandReadsTwoFoldersAndWritesBothTables() throws {
        let a = try folder("compare-a", [row("antonym", .site, correct: 10), row("capitalize", .site, correct: 20)])
        let b = try folder("compare-b", [row("antonym", .site, correct: 11, hash: "dddddddddddd"), row("capitalize", .site, correct: 20, hash: "dddddddddddd")])
        let out = try makeTemporaryDirectory("compare-out")
        defer { for u in [a, b, out] { try? FileManager.default.removeItem(at: u) } }
        let (summary, cells) = try CompareCommand.tables(baseline: a, named: "a", other: b, named: "b")
        #expect(summary.rows == [["smollm2-135m", "SITE", "exact-match", "50", "2", "30.00", "31.00", "+1.00", "1", "2.00"]])
        #expect(cells.rows.count == 1)
        let command = try #require(try BenchCommand.parseAsRoot(["compare", a.path, b.path, "--out", out.path]) as? CompareCommand)
        try command.run()
        let written = try String(contentsOf: out.appendingPathComponent("compare.csv"), encoding: .utf8)
        #expect(written.contains("smollm2-135m,SITE,exact-match,50,2,30.00,31.00,+1.00,1,2.00"))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("compare-cells.md").path))
    }

    @Test func missingOrEmptyFoldersAreErrorsNamingThem() throws {
        let empty = try makeTemporaryDirectory("compare-empty")
        let a = try folder("compare-a", [row("antonym", .site, correct: 10)])
        defer { for u in [empty, a] { try? FileManager.default.removeItem(at: u) } }
        let missing = empty.appendingPathComponent("absent")
        do {
            _ = try CompareCommand.tables(baseline: a, named: "a", other: missing, named: "absent")
            Issue.record("a missing folder was read")
        } catch let error as ResultStoreError {
            #expect(error.description.hasPrefix(missing.path) && error.description.contains("no such results folder"))
        }
        do {
            _ = try CompareCommand.tables(baseline: empty, named: "empty", other: a, named: "a")
            Issue.record("an empty folder was read")
        } catch let error as ResultStoreError {
            #expect(error.description.hasPrefix(empty.path) && error.description.contains("no result rows"))
        }
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["compare", "x", "x"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["compare", "x"]) }
    }
}

import Foundation
import Methods
import Testing
@testable import Bench

@Suite struct TablesTests {
    func cell(_ model: String, _ task: String, _ method: MethodName, _ accuracy: Double, hash: String = "h0",
              seed: UInt64 = 0, items: Int = 100, cap: Int? = nil, settings: String = "",
              scoring: ScoringMode = .exactMatch) -> AccuracyCell {
        AccuracyCell(model: model, task: task, method: method, settingsHash: hash, settings: settings, seed: seed,
                     accuracy: accuracy, items: items, maxItems: cap, scoring: scoring)
    }

    /// Seeds: per seed the mean over the tasks every seed finished, then mean and sample sd.
    @Test func seedTableGivesMeanAndSampleDeviationOverSeeds() throws {
        let cells = [
            cell("m", "a", .site, 0.2, hash: "s0", seed: 0), cell("m", "b", .site, 0.4, hash: "s0", seed: 0),
            cell("m", "a", .site, 0.4, hash: "s1", seed: 1), cell("m", "b", .site, 0.6, hash: "s1", seed: 1),
            cell("m", "a", .site, 0.6, hash: "s2", seed: 2), cell("m", "b", .site, 0.8, hash: "s2", seed: 2),
            cell("m", "c", .site, 1.0, hash: "s2", seed: 2),  // only seed 2: left out of every seed's mean
            cell("m", "a", .icl(shots: 10), 0.5),                      // one seed: no row
        ]
        let table = try #require(SeedTables.table(cells))
        // Seed means 0.3, 0.5, 0.7: mean 0.5, sample sd 0.2.
        #expect(table.rows == [["m", "SITE", "2", "0,1,2", "50.00", "20.00", "30.00 / 50.00 / 70.00"]])
        #expect(SeedTables.table([cell("m", "a", .site, 0.5)]) == nil)
    }

    /// The FV paper's filtered scoring sits beside exact match, over the tasks that have both,
    /// and never enters the exact-match tables.
    @Test func filteredScoringBesideExactMatch() throws {
        let filtered = ScoringMode.filteredFirstToken
        let cells = [
            cell("m", "a", .functionVectors, 0.2), cell("m", "b", .functionVectors, 0.4),
            cell("m", "c", .functionVectors, 0.9),
            cell("m", "a", .functionVectors, 0.5, hash: "f1", items: 40, scoring: filtered),
            cell("m", "b", .functionVectors, 0.7, hash: "f1", items: 20, scoring: filtered),
            cell("m", "a", .taskVectors, 0.1),
        ]
        let table = try #require(ScoringTables.filteredBesideExact(cells))
        #expect(table.header == ["model", "method", "tasks", "exact match %", "filtered first token %", "items kept %"])
        // Tasks a and b only: exact (0.2 + 0.4) / 2, filtered (0.5 + 0.7) / 2, kept 60 of 200 items.
        #expect(table.rows == [["m", "FV", "2", "30.00", "60.00", "30.0"]])
        #expect(ScoringTables.filteredBesideExact(cells.filter { $0.scoring != filtered }) == nil)
    }

    @Test func mainTableAveragesSeedsThenTasksAndCountsTasks() {
        let cells = [
            cell("m1", "a", .site, 0.5, seed: 0), cell("m1", "a", .site, 0.7, seed: 1),  // task a: 0.6
            cell("m1", "b", .site, 0.2),                                                  // mean (0.6+0.2)/2 = 0.4
            cell("m1", "a", .icl(shots: 10), 0.1),
            cell("m2", "a", .site, 1.0),
        ]
        let table = TextTables.main(cells, taskCount: 57)
        #expect(table.header == ["method", "m1 (tasks)", "m2 (tasks)", "Llama-3.1-8B (SITE paper)"])
        let site = try! #require(table.rows.first { $0[0] == "SITE" })
        #expect(site == ["SITE", "40.00 (2/57)", "100.00 (1/57)", "90.02"])
        let icl = try! #require(table.rows.first { $0[0] == "10-shot ICL" })
        #expect(icl == ["10-shot ICL", "10.00 (1/57)", "—", "76.76"])
        // Published-only methods are rows of their own, with nothing measured.
        #expect(table.rows.contains(["I2CL", "—", "—", "79.89"]))
        #expect(table.rows.contains(["LoRA", "—", "—", "86.76"]))
        // Baselines before task representations, methods only published last.
        #expect(table.rows.map { $0[0] } == ["10-shot ICL", "SITE", "I2CL", "LoRA"])
        #expect(TextTables.main([cell("m", "a", .zeroShot, 0)], taskCount: 57).rows.map { $0[0] }
            == ["0-shot", "10-shot ICL", "SITE", "I2CL", "LoRA"])
        #expect(table.rows.firstIndex { $0[0] == "10-shot ICL" }! < table.rows.firstIndex { $0[0] == "SITE" }!)
    }

    @Test func commonTasksTableComparesMethodsOnTheSameTasks() {
        let cells = [
            cell("m", "a", .site, 0.5), cell("m", "b", .site, 0.1), cell("m", "c", .site, 0.9),
            cell("m", "a", .zeroShot, 0.2), cell("m", "c", .zeroShot, 0.4),
        ]
        let table = TextTables.commonTasks(cells, taskCount: 57)
        #expect(table.header == ["method", "m (2 tasks)"])
        #expect(table.rows == [["0-shot", "30.00"], ["SITE", "70.00"]])
    }

    @Test func twoSettingsOfOneMethodAreNeverAveragedTogether() {
        let cells = [cell("m", "a", .site, 0.2, hash: "aaa", settings: "steps=400"),
                     cell("m", "a", .site, 0.8, hash: "bbb", settings: "steps=100")]
        let table = TextTables.main(cells, taskCount: 57)
        #expect(table.rows.contains { $0[0] == "SITE [aaa]" && $0[1] == "20.00 (1/57)" && $0[2] == "—" })
        #expect(table.rows.contains { $0[0] == "SITE [bbb]" && $0[1] == "80.00 (1/57)" })
        // Another item cap, or another scoring, is another experiment too.
        let capped = TextTables.main([cell("m", "a", .site, 0.2, hash: "aaa"), cell("m", "a", .site, 0.8, hash: "ccc", cap: 50)],
                                     taskCount: 57)
        #expect(capped.rows.map { $0[0] }.filter { $0.hasPrefix("SITE") } == ["SITE [aaa]", "SITE [ccc]"])
    }

    /// Each seed has its own settings hash (the hash covers the seed), yet seeds of one experiment
    /// are averaged, never split into variants; a label, where one is needed, is the lowest seed's hash.
    @Test func seedsOfOneExperimentAverageAcrossTheirHashes() {
        let cells = [cell("m", "a", .site, 0.2, hash: "s1", seed: 1), cell("m", "a", .site, 0.6, hash: "s0", seed: 0),
                     cell("m", "b", .site, 0.4, hash: "s2", seed: 2)]
        #expect(TextTables.main(cells, taskCount: 57).rows.first { $0[0] == "SITE" }?[1] == "40.00 (2/57)")
        let other = cell("m", "a", .site, 0.9, hash: "zz", settings: "steps=100")
        let labels = Set(TextTables.main(cells + [other], taskCount: 57).rows.map { $0[0] }.filter { $0.hasPrefix("SITE") })
        #expect(labels == ["SITE [s0]", "SITE [zz]"])
    }

    @Test func cappedRunsAreSaidInTheNotes() {
        let table = TextTables.main([cell("m", "a", .site, 0.5, items: 100, cap: 100), cell("m", "b", .site, 0.5, items: 42, cap: 100)], taskCount: 57)
        #expect(table.notes.contains { $0.contains("capped at 100") && $0.contains("1 task(s) reached the cap") })
        #expect(!TextTables.main([cell("m", "a", .site, 0.5)], taskCount: 57).notes.contains { $0.contains("capped") })
    }

    @Test func perTaskTableHasAMeanRow() {
        let cells = [cell("m", "b", .zeroShot, 0.25), cell("m", "a", .zeroShot, 0.75, items: 42), cell("m", "a", .site, 1, items: 42)]
        let table = TextTables.perTask(cells, model: "m")
        #expect(table.header == ["task", "0-shot", "SITE", "test items"])
        #expect(table.rows == [["a", "75.0", "100.0", "42"], ["b", "25.0", "—", "100"], ["mean", "50.0 (2)", "100.0 (1)", ""]])
    }

    @Test func renderersEscapeAndAgree() {
        let table = ResultTable(title: "t", header: ["task", "x"], rows: [["a|b_c,\"d\"", "1.0"]], notes: ["n"])
        #expect(table.markdown().contains("| a\\|b_c,\"d\" | 1.0 |"))
        #expect(table.markdown().contains("|---|---:|"))
        #expect(table.latex().contains("a|b\\_c,\"d\" & 1.0 \\\\"))
        #expect(table.latex().contains("\\begin{tabular}{lr}"))
        #expect(table.csv() == "task,x\n\"a|b_c,\"\"d\"\"\",1.0\n")
    }

    @Test func ablationLabelsNameOnlyTheSettingThatChanges() {
        let base = "embedding_prompts=50;lr=0.2;steps=400"
        let cells = [
            cell("m", "a", .site, 0.5, settings: base), cell("m", "b", .site, 0.7, settings: base),
            cell("m", "a", .site, 0.1, settings: "embedding_prompts=1;lr=0.2;steps=400"),
            cell("m", "a", .site, 0.3, settings: "embedding_prompts=50;lr=1.0;steps=400"),
            cell("m", "a", .site, 0.2, settings: "embedding_prompts=50;lr=0.2;steps=50"),
        ]
        let table = AblationTables.table(cells, model: "m")
        #expect(table.header == ["variant", "a", "b", "mean"])
        #expect(table.rows == [
            ["SITE (defaults)", "50.0", "70.0", "60.0"],
            ["SITE embedding_prompts=1", "10.0", "—", "10.0"],
            ["SITE lr=1.0", "30.0", "—", "30.0"],
            ["SITE steps=50", "20.0", "—", "20.0"],
        ])
    }

    @Test func regressionTableShowsConditionsAndLengths() {
        let cells = [
            RegressionCell(checkpoint: "c", method: "site", condition: "noisy-y", inContextExamples: 0, squaredErrorPerDim: 0.9),
            RegressionCell(checkpoint: "c", method: "transformer", condition: "in-distribution", inContextExamples: 0, squaredErrorPerDim: 1.0),
            RegressionCell(checkpoint: "c", method: "transformer", condition: "in-distribution", inContextExamples: 20, squaredErrorPerDim: 0.05),
            RegressionCell(checkpoint: "c", method: "site", condition: "in-distribution", inContextExamples: 0, squaredErrorPerDim: 0.8),
            RegressionCell(checkpoint: "c", method: "transformer", condition: "in-distribution", inContextExamples: 7, squaredErrorPerDim: 0.3),
        ]
        let table = RegressionTables.table(cells, checkpoint: "c")
        #expect(table.header == ["condition: method", "k=0", "k=20"])
        #expect(table.rows == [
            ["in-distribution: transformer", "1.000", "0.050"],
            ["in-distribution: site", "0.800", "—"],
            ["noisy-y: site", "0.900", "—"],
        ])
        let twoSettings = cells + [RegressionCell(checkpoint: "c", method: "site", settingsHash: "h2", condition: "noisy-y",
                                                  inContextExamples: 0, squaredErrorPerDim: 0.5)]
        #expect(RegressionTables.table(twoSettings, checkpoint: "c").rows.suffix(2) == [
            ["noisy-y: site []", "0.900", "—"], ["noisy-y: site [h2]", "0.500", "—"],
        ])
    }
}

@Suite struct CostTableTests {
    func row(_ task: String, _ method: MethodName, prep: Double, test: Double, items: Int, tokens: Int, cached: Bool = false,
             memory: Double = 100, hash: String = "0123456789ab", settings: String? = nil) -> ResultRow {
        var row = sampleRow(task: task, method: method)
        row.preparationSeconds = prep
        row.testSeconds = test
        row.items = items
        row.testPromptTokens = tokens
        row.preparedFromCache = cached
        row.peakMemoryMiB = memory
        row.settingsHash = hash
        if let settings { row.settings = settings }
        return row
    }

    @Test func measuredCostsAndTheProjectionToEveryTask() {
        let rows = [
            row("a", .site, prep: 100, test: 10, items: 50, tokens: 700, memory: 900),
            row("b", .site, prep: 60, test: 30, items: 50, tokens: 700, memory: 1200),
            row("c", .site, prep: 0.5, test: 20, items: 50, tokens: 700, cached: true),
            row("a", .icl(shots: 10), prep: 0, test: 40, items: 40, tokens: 8000),
        ]
        let table = CostTables.table(rows, taskCount: 10)
        #expect(table.header.suffix(2) == ["hours for 10 tasks", "CPU hours (cells)"])
        // SITE: prep (100 + 60) / 2 timed cells = 80 s; test 60 s / 150 items; per task 80 + 20 = 100 s → 10 tasks 1000 s.
        let site = try! #require(table.rows.first { $0[1] == "SITE" })
        #expect(site == ["smollm2-135m", "SITE", "3", "80.0", "0.400", "14", "1200", String(format: "%.2f", 220.5 / 3600),
                         String(format: "%.2f", 1000.0 / 3600), "–"])
        let icl = try! #require(table.rows.first { $0[1] == "10-shot ICL" })
        #expect(icl[3] == "0.0" && icl[4] == "1.000" && icl[5] == "200")
        let total = try! #require(table.rows.last)
        #expect(total[1] == "all methods" && total[7] == String(format: "%.2f", 260.5 / 3600)
                && total[8] == String(format: "%.2f", 1400.0 / 3600))
        #expect(table.rows.map { $0[1] } == ["10-shot ICL", "SITE", "all methods"])
        #expect(total[9] == "–", "no row recorded CPU seconds")
    }

    /// CPU hours sum the cells that recorded both CPU figures, and say how many those are.
    @Test func cpuHoursCountTheCellsThatRecordedThem() {
        var timed = row("a", .site, prep: 100, test: 10, items: 50, tokens: 700)
        timed.preparationCPUSeconds = 3000
        timed.testCPUSeconds = 600
        var alsoTimed = row("b", .site, prep: 100, test: 10, items: 50, tokens: 700)
        alsoTimed.preparationCPUSeconds = 1800
        alsoTimed.testCPUSeconds = 1800
        var halfTimed = row("c", .site, prep: 100, test: 10, items: 50, tokens: 700)
        halfTimed.testCPUSeconds = 99  // preparation not recorded: left out
        let table = CostTables.table([timed, alsoTimed, halfTimed, row("a", .icl(shots: 10), prep: 0, test: 40, items: 40, tokens: 8000)], taskCount: 57)
        #expect(table.rows.first { $0[1] == "SITE" }?.last == "2.00 (2)")
        #expect(table.rows.first { $0[1] == "10-shot ICL" }?.last == "–")
        #expect(table.rows.last?.last == "2.00 (2)")
    }

    @Test func onlyCachedPreparationIsSaidAndTwoSettingsStayApart() {
        let rows = [row("a", .taskVectors, prep: 0.1, test: 5, items: 10, tokens: 10, cached: true),
                    row("a", .site, prep: 9, test: 1, items: 10, tokens: 10, hash: "aaa", settings: "steps=400"),
                    row("a", .site, prep: 3, test: 1, items: 10, tokens: 10, hash: "bbb", settings: "steps=100")]
        let table = CostTables.table(rows, taskCount: 57)
        #expect(table.rows.first { $0[1] == "TV" }?[3] == "cached")
        #expect(table.rows.first { $0[1] == "SITE [aaa]" }?[3] == "9.0")
        #expect(table.rows.first { $0[1] == "SITE [bbb]" }?[3] == "3.0")
    }
}

@Suite struct ResultTablesFileTests {
    @Test func writesEveryTableFromTheResultFilesAlone() throws {
        let root = try makeTemporaryDirectory("tables")
        var runs = try ResultStore(directory: root.appendingPathComponent("runs"), model: "smollm2-135m")
        var row = sampleRow(task: "antonym", method: .site)
        row.accuracy = 0.5
        try runs.append(row)
        row.task = "capitalize"
        row.accuracy = 0.9
        try runs.append(row)
        var ablations = try ResultStore(directory: root.appendingPathComponent("ablations"), model: "smollm2-135m")
        try ablations.append(sampleRow(task: "antonym", method: .site, settings: "embedding_prompts=5"))
        var steering = try CSVStore<RegressionResultRow>(url: root.appendingPathComponent("regression/steering.csv"))
        try steering.append(RegressionResultRow(
            checkpoint: "results/regression/linear-d10-small/model.safetensors", function: "linear", dims: 10, method: "site",
            condition: "in-distribution", inContextExamples: 0, squaredErrorPerDim: 0.75, prompts: 64, seed: 0,
            settingsHash: "abc", settings: "", prepSeconds: 1, codeVersion: "x", finishedAt: "t"))

        var shown = ""
        try ResultTables(show: { shown += $0 }).writeAll(resultsDirectory: root)
        let tables = root.appendingPathComponent("tables")
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: tables.path))
        for base in ["main", "main-common-tasks", "cost", "tasks-smollm2-135m", "ablations-smollm2-135m", "regression"] {
            for ext in ["md", "tex", "csv"] { #expect(names.contains("\(base).\(ext)"), "missing \(base).\(ext)") }
        }
        let main = try String(contentsOf: tables.appendingPathComponent("main.csv"), encoding: .utf8)
        #expect(main.contains("SITE,70.00 (2/57),90.02"))
        #expect(shown.contains("| SITE | 70.00 (2/57) | 90.02 |"))
        let regression = try String(contentsOf: tables.appendingPathComponent("regression.md"), encoding: .utf8)
        #expect(regression.contains("| in-distribution: site | 0.750 |"))
    }

    @Test func defaultModelsComeFirstInTheirOrder() throws {
        let root = try makeTemporaryDirectory("tables-order")
        for model in ["aaa-model", "gemma3-270m", "smollm2-135m"] {
            var store = try ResultStore(directory: root, model: model)
            var row = sampleRow(task: "antonym", method: .site)
            row.model = model
            try store.append(row)
        }
        #expect(try ResultTables.readAll(in: root).map(\.model) == ["smollm2-135m", "gemma3-270m", "aaa-model"])
    }

    @Test func aRunOutsideTheRunsLayoutGetsTheTablesOfItsOwnRows() throws {
        let root = try makeTemporaryDirectory("tables-own")
        let mine = root.appendingPathComponent("trial")
        var store = try ResultStore(directory: mine, model: "smollm2-135m")
        var row = sampleRow(task: "antonym", method: .site)
        row.accuracy = 0.25
        try store.append(row)
        // Rows of another run in the folder a `runs` layout would read: not this run's tables.
        var other = try ResultStore(directory: root.appendingPathComponent("runs"), model: "smollm2-135m")
        row.accuracy = 0.75
        try other.append(row)

        let location = RunCommand.tablesLocation(results: mine)
        #expect(location.root == mine && location.runs == mine)
        try ResultTables(show: { _ in }).writeAll(resultsDirectory: location.root, runs: location.runs)
        let main = try String(contentsOf: mine.appendingPathComponent("tables/main.csv"), encoding: .utf8)
        #expect(main.contains("SITE,25.00 (1/57)"))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("tables").path))

        let layout = RunCommand.tablesLocation(results: root.appendingPathComponent("runs"))
        #expect(layout.root.standardizedFileURL.path == root.standardizedFileURL.path && layout.runs == nil)
    }

    @Test func aMissingResultsFolderIsNamedAndNotCreated() throws {
        let root = try makeTemporaryDirectory("tables-missing").appendingPathComponent("reslts")
        #expect(throws: ResultStoreError.io(path: root.path, reason: "no such results folder (it holds runs/, written by `bench run`)")) {
            try ResultTables(show: { _ in }).writeAll(resultsDirectory: root)
        }
        #expect(!FileManager.default.fileExists(atPath: root.path))
    }

    @Test func aMalformedResultFileIsNamedAndNothingIsWritten() throws {
        let root = try makeTemporaryDirectory("tables-bad")
        let runs = root.appendingPathComponent("runs")
        try FileManager.default.createDirectory(at: runs, withIntermediateDirectories: true)
        let bad = runs.appendingPathComponent("broken.csv")
        try (ResultRow.header.joined(separator: ",") + "\nsmollm2-135m,antonym,site,not-a-seed\n").write(to: bad, atomically: true, encoding: .utf8)
        do {
            try ResultTables(show: { _ in }).writeAll(resultsDirectory: root)
            Issue.record("a malformed result file was accepted")
        } catch {
            #expect("\(error)".contains(bad.path))
        }
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("tables").path))
    }
}

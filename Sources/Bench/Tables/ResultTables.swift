import Foundation
import Methods
import Tasks

/// Every table, from the result files alone: results/runs/*.csv (text), results/ablations/*.csv
/// and results/regression/steering.csv, written as Markdown, LaTeX and CSV under results/tables/.
struct ResultTables: TablesStage {
    /// Where the main table goes besides its files (the terminal at the end of a run).
    var show: (String) -> Void = { print($0, terminator: "") }

    func writeAll(resultsDirectory: URL) throws {
        try writeAll(resultsDirectory: resultsDirectory, runs: nil)
    }

    /// The tables of `runs` (default `resultsDirectory/runs`) and of the ablations and regression
    /// results under `resultsDirectory`, written under `resultsDirectory/tables`.
    func writeAll(resultsDirectory: URL, runs: URL?) throws {
        let written = try Self.write(resultsDirectory: resultsDirectory, runs: runs)
        show(written.main.markdown() + "\n" + written.common.markdown())
        show("\nTables written under \(resultsDirectory.appendingPathComponent("tables").path): \(written.files.count) files\n")
    }

    /// - Returns: the main tables and every file written.
    /// - Throws: `ResultStoreError.io` when `root` is not a folder (a mistyped `--results` would
    ///   otherwise get a new folder of empty tables); what reading a result file throws.
    static func write(resultsDirectory root: URL, runs runsFolder: URL? = nil) throws -> (main: ResultTable, common: ResultTable, files: [URL]) {
        try ResultStoreError.requireFolder(root, holds: "runs/")
        let runs = try readAll(in: runsFolder ?? root.appendingPathComponent("runs"))
        let ablations = try readAll(in: root.appendingPathComponent("ablations"))
        let steeringFile = root.appendingPathComponent("regression").appendingPathComponent("steering.csv")
        let steering = FileManager.default.fileExists(atPath: steeringFile.path)
            ? try CSVStore<RegressionResultRow>(url: steeringFile).rows : []

        let out = root.appendingPathComponent("tables")
        var files = [URL]()
        // The main, per-task and cost tables are exact match; other scorings get their own table.
        let allCells = runs.map(\.accuracyCell)
        let cells = allCells.filter { $0.scoring == .exactMatch }
        let main = TextTables.main(cells, taskCount: TaskRegistry.site57.tasks.count)
        files += try save(main, name: "main", in: out)
        let common = TextTables.commonTasks(cells, taskCount: TaskRegistry.site57.tasks.count)
        files += try save(common, name: "main-common-tasks", in: out)
        let exactRuns = runs.filter { $0.scoring == .exactMatch }
        if !exactRuns.isEmpty {
            files += try save(CostTables.table(exactRuns, taskCount: TaskRegistry.site57.tasks.count), name: "cost", in: out)
        }
        if let seeds = SeedTables.table(cells) {
            files += try save(seeds, name: "seeds", in: out)
        }
        if let scoring = ScoringTables.filteredBesideExact(allCells) {
            files += try save(scoring, name: "fv-scoring", in: out)
        }
        for model in TextTables.orderedModels(cells) {
            files += try save(TextTables.perTask(cells, model: model), name: "tasks-\(model)", in: out)
        }
        let ablationCells = ablations.map(\.accuracyCell)
        for model in TextTables.orderedModels(ablationCells) {
            files += try save(AblationTables.table(ablationCells, model: model), name: "ablations-\(model)", in: out)
        }
        let regressionCells = steering.map(\.regressionCell)
        var checkpoints = [String]()
        for cell in regressionCells where !checkpoints.contains(cell.checkpoint) { checkpoints.append(cell.checkpoint) }
        for (i, checkpoint) in checkpoints.enumerated() {
            let name = checkpoints.count == 1 ? "regression" : "regression-\(i + 1)"
            files += try save(RegressionTables.table(regressionCells, checkpoint: checkpoint), name: name, in: out)
        }
        let perPromptFile = root.appendingPathComponent("regression/per-prompt/steering.csv")
        if FileManager.default.fileExists(atPath: perPromptFile.path) {
            let perPrompt = try CSVStore<PromptSteeringResultRow>(url: perPromptFile).rows
            var perPromptCheckpoints = [String]()
            for row in perPrompt where !perPromptCheckpoints.contains(row.checkpoint) { perPromptCheckpoints.append(row.checkpoint) }
            for (i, checkpoint) in perPromptCheckpoints.enumerated() {
                let name = perPromptCheckpoints.count == 1 ? "regression-per-prompt" : "regression-per-prompt-\(i + 1)"
                files += try save(PromptSteeringTables.table(perPrompt, checkpoint: checkpoint), name: name, in: out)
            }
        }
        return (main, common, files)
    }

    /// Rows of every *.csv directly in `folder` (none when it does not exist): the default
    /// models' files first, in `bench --all`'s order (so are the tables' columns), then the others
    /// in name order.
    static func readAll(in folder: URL) throws -> [ResultRow] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        let rank = { (name: String) in AllBenchmark.defaultModels.firstIndex(of: String(name.dropLast(4))) ?? AllBenchmark.defaultModels.count }
        return try names.filter { $0.hasSuffix(".csv") && !$0.hasPrefix(".") }
            .sorted { (rank($0), $0) < (rank($1), $1) }
            .flatMap { try ResultStore(url: folder.appendingPathComponent($0)).rows }
    }

    static func save(_ table: ResultTable, name: String, in folder: URL) throws -> [URL] {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ResultStoreError.io(path: folder.path, reason: "cannot create the folder: \(error)")
        }
        return try [("md", table.markdown()), ("tex", table.latex()), ("csv", table.csv())].map { ext, text in
            let url = folder.appendingPathComponent("\(name).\(ext)")
            do { try text.write(to: url, atomically: true, encoding: .utf8) } catch {
                throw ResultStoreError.io(path: url.path, reason: "cannot write: \(error)")
            }
            return url
        }
    }
}

extension ResultRow {
    var accuracyCell: AccuracyCell {
        AccuracyCell(model: record.model, task: record.task, method: record.method, settingsHash: record.settingsHash,
                     settings: record.settings, seed: record.seed, accuracy: record.accuracy, items: record.items,
                     maxItems: record.maxItems, scoring: record.scoring)
    }
}

extension RegressionResultRow {
    var regressionCell: RegressionCell {
        RegressionCell(checkpoint: checkpoint, method: method, settingsHash: settingsHash, condition: condition, inContextExamples: inContextExamples,
                       squaredErrorPerDim: squaredErrorPerDim)
    }
}

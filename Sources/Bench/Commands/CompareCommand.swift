import ArgumentParser
import Foundation
import Methods
import Tasks

/// `bench compare`: two folders of result rows side by side.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two folders of result rows cell by cell (another precision, backend, code version or machine).",
        discussion: """
            Reads <baseline>/*.csv and <other>/*.csv (bench run's --results folders) and matches their rows by \
            model, task, method, seed, scoring and item cap, whatever their settings. Prints, per model, method, \
            scoring and cap, the mean accuracy of each over the cells both hold, the difference in points, how \
            many cells differ in their correct count and the largest difference of one cell; then each cell that \
            differs. With --out, writes them there too (compare and compare-cells, as Markdown, LaTeX and CSV). \
            Runs nothing.
            """)

    @Argument(help: "The baseline's results folder, e.g. results/cap50/runs.")
    var baseline: String

    @Argument(help: "The results folder compared with it, e.g. results/cap50-bfloat16/runs.")
    var other: String

    @Option(help: "A folder to write the two tables to (created when missing).")
    var out: String?

    func validate() throws {
        if baseline == other { throw ValidationError("the baseline and the other folder are the same: \(baseline)") }
    }

    func run() throws {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        let (summary, cells) = try Self.tables(baseline: DataDirectory.absolute(baseline, from: cwd), named: baseline,
                                               other: DataDirectory.absolute(other, from: cwd), named: other)
        print(summary.markdown() + "\n" + cells.markdown(), terminator: "")
        if let out {
            let folder = DataDirectory.absolute(out, from: cwd)
            let files = try ResultTables.save(summary, name: "compare", in: folder) + ResultTables.save(cells, name: "compare-cells", in: folder)
            print("\nTables written under \(folder.path): \(files.count) files")
        }
    }

    /// The summary and the differing cells of two folders of rows, each named in the tables as given.
    /// - Throws: `ResultStoreError.io` for a folder that does not exist or holds no result file;
    ///   what reading a result file throws; `ComparisonError.nothingInCommon`.
    static func tables(baseline: URL, named baselineName: String, other: URL, named otherName: String) throws -> (summary: ResultTable, cells: ResultTable) {
        let matching = ComparisonTables.match(baseline: try records(in: baseline), other: try records(in: other))
        return (try ComparisonTables.summary(matching, baseline: baselineName, other: otherName),
                ComparisonTables.differingCells(matching, baseline: baselineName, other: otherName))
    }

    static func records(in folder: URL) throws -> [RunRecord] {
        try ResultStoreError.requireFolder(folder, holds: "<model>.csv")
        let rows = try ResultTables.readAll(in: folder)
        guard !rows.isEmpty else {
            throw ResultStoreError.io(path: folder.path, reason: "no result rows here (<model>.csv files, written by `bench run --results`)")
        }
        return rows.map(\.record)
    }
}

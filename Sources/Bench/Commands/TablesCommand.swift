import ArgumentParser
import Foundation
import Tasks

/// `bench tables`: the tables, from the result CSVs alone.
struct TablesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tables",
        abstract: "Write the result tables (Markdown, LaTeX, CSV) from the result CSVs, and print the main table.",
        discussion: """
            Reads <results>/runs/*.csv, <results>/ablations/*.csv and <results>/regression/steering.csv and writes \
            under <results>/tables/: main (methods × models, mean over the tasks done, with the SITE paper's \
            published numbers beside), tasks-<model> (per task), ablations-<model> and regression. Runs nothing; \
            `bench run`, `bench ablate` and `bench --all` call it at their end.
            """)

    @Option(help: "The results folder.")
    var results: String = "results"

    func run() throws {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        try ResultTables().writeAll(resultsDirectory: DataDirectory.absolute(results, from: cwd))
    }
}

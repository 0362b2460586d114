import ArgumentParser
import Foundation
import Tasks

/// `bench status`: where a sweep stands, read from its results folder.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the stored rows by model and method, and the cells under way (running or interrupted).",
        discussion: """
            Reads <results>/*.csv and <results>/partial/: per model and (method, seed, scoring, item cap) the \
            tasks stored of the 57, their test items and mean accuracy; then each cell with a journal or a held \
            lock, running (the pid holding its lock) or interrupted (its finished parts wait for the next run), \
            with the items answered so far. Runs nothing and takes no lock.
            """)

    @Option(help: "The results folder of the rows (bench run's --results).")
    var results: String = "results/runs"

    func run() throws {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        let folder = DataDirectory.absolute(results, from: cwd)
        print(try SweepStatus.read(results: folder).render(taskCount: TaskRegistry.site57Names.count))
    }
}

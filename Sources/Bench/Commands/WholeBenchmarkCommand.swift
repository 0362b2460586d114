import ArgumentParser
import Foundation
import Tasks

/// `bench --all` (also `bench all --all`): the whole benchmark, see `AllBenchmark`. Without
/// --all it prints the root help, so a bare `bench` still explains itself.
struct WholeBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "The whole benchmark (run as `bench --all`): every default model × 57 tasks × 6 methods, the head analysis, the regression stage, the tables.",
        discussion: """
            Resumable: cells already in <results-root>/runs/<model>.csv are skipped and cached artifacts reused. \
            The head analysis (`bench heads` over the 57 tasks, the sweep's cap) runs for a model whose SITE artifacts \
            of all 57 tasks are on this machine; otherwise it says so and names the command that trains them. \
            Evaluates every test item unless --max-items N caps it at the first N of each task (a capped cell is another cell: its rows never mix with the uncapped ones).
            """)

    @Flag(help: "Run the whole benchmark.")
    var all = false

    @Option(help: "With --all: comma list of the models to run (default: \(AllBenchmark.defaultModels.joined(separator: ","))).")
    var models: CommaList?

    @Flag(help: "With --all: evaluate every test item, the default, said explicitly (excludes --max-items).")
    var allItems = false

    @Option(help: "With --all: the results folder (runs/, regression/, tables).")
    var resultsRoot: String = "results"

    @OptionGroup var location: ModelsDirectoryOptions
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var sweep: SweepOptions

    /// The tables stage of `--all`.
    static var tablesStage: any TablesStage { ResultTables() }

    func validate() throws {
        if !all && models != nil { throw ValidationError("--models is an option of --all") }
        if !all && allItems { throw ValidationError("--all-items is an option of --all") }
        if allItems && sweep.maxItems != nil { throw ValidationError("--all-items and --max-items exclude each other") }
    }

    func run() throws {
        guard all else { throw CleanExit.helpRequest(BenchCommand.self) }
        threads.apply()
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        let chosen = models?.items ?? AllBenchmark.defaultModels
        var options = sweep
        let root = DataDirectory.absolute(resultsRoot, from: cwd)
        // The default folders follow --results-root.
        if options.results == "results/runs" { options.results = root.appendingPathComponent("runs").path }
        if options.artifacts == "results/artifacts" { options.artifacts = root.appendingPathComponent("artifacts").path }
        let benchmark = AllBenchmark(
            models: chosen, sweep: options, modelStore: location.store(), resultsRoot: root,
            heads: SITEHeadsStage(), regression: SteeringRegressionStage(), tables: Self.tablesStage)
        let failures = try benchmark.run()
        if !failures.isEmpty { throw ExitCode(1) }
    }
}

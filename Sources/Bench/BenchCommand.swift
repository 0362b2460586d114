import ArgumentParser
import Foundation
import Tasks
import Tensors

@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "TaskVectorBench: in-context-learning task representations (SITE, LTV, FV, TV) on real models.",
        discussion: """
            `bench --all` runs the whole benchmark into results/, resumably (finished cells are skipped): \
            every default model (\(AllBenchmark.defaultModels.joined(separator: ", ")); fetched when absent) on \
            the 57 tasks × \(AllBenchmark.methods.map(\.rawValue).joined(separator: ", ")) with the papers' \
            settings, on the first \(AllBenchmark.defaultMaxItems) test items of each task (--max-items N or \
            --all-items to change it), then the regression benchmark, then the tables. The sweep options below apply to it.
            """,
        version: "0.1.0",
        subcommands: [
            ModelsCommand.self, DoctorCommand.self, DatasetsCommand.self, TasksCommand.self, PromptCommand.self,
            LogitsCommand.self, GenerateCommand.self, TokenizeCommand.self, PerfCommand.self, RunCommand.self, RegressionCommand.self,
            TablesCommand.self, AblateCommand.self, HeadsCommand.self,
        ]
    )

    @Flag(help: "Run the whole benchmark (see above).")
    var all = false

    @Option(help: "With --all: comma list of the models to run (default: \(AllBenchmark.defaultModels.joined(separator: ","))).")
    var models: String?

    @Flag(help: "With --all: evaluate every test item (default: the first \(AllBenchmark.defaultMaxItems) of each task, or --max-items).")
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
        guard all else { throw CleanExit.helpRequest(self) }
        threads.apply()
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        let chosen = models.map { $0.split(separator: ",").map(String.init) } ?? AllBenchmark.defaultModels
        var options = sweep
        if options.maxItems == nil && !allItems { options.maxItems = AllBenchmark.defaultMaxItems }
        let root = DataDirectory.absolute(resultsRoot, from: cwd)
        // The default folders follow --results-root.
        if options.results == "results/runs" { options.results = root.appendingPathComponent("runs").path }
        if options.artifacts == "results/artifacts" { options.artifacts = root.appendingPathComponent("artifacts").path }
        let benchmark = AllBenchmark(
            models: chosen, sweep: options, modelStore: location.store(), resultsRoot: root,
            regression: SteeringRegressionStage(), tables: Self.tablesStage)
        let failures = try benchmark.run()
        if !failures.isEmpty { throw ExitCode(1) }
    }
}

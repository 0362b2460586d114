import ArgumentParser
import Foundation
import Methods
import Models
import Tasks

/// A method on the command line: its name or its short name (fv, tv).
extension MethodKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(selecting: argument) }
}

/// `bench run`: methods × tasks × seeds on one or more models, into the result store.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Prepare and evaluate methods on tasks, store a row per (model, task, method, seed), and print them.",
        discussion: """
            Methods: \(MethodKind.spellings) (or "all"). Rows go to \
            <results>/<model>.csv; a cell already there (same model, task, method, seed and settings) is \
            skipped, so an interrupted run resumes where it stopped. Preparation artifacts are cached \
            under --artifacts and reused when the settings match. SITE and LTV train all selected tasks \
            together, one row per task per step. A failing cell is reported at the end and the rest go on.
            """)

    @Option(name: .customLong("model"), help: "Model: a known name (bench models list), a .gguf file, a Hugging Face folder, or ORG/NAME; repeat it or give a comma list (default: smollm2-135m).")
    var modelReferences: [CommaList] = []

    @OptionGroup var location: ModelsDirectoryOptions
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var backend: BackendOptions
    @OptionGroup var sweep: SweepOptions

    @Option(help: "Comma-separated task names (bench tasks list), or \"all\".")
    var tasks: CommaList

    @Option(help: "Comma-separated methods, or \"all\".")
    var methods: CommaList = "all"

    var models: [String] {
        let names = modelReferences.flatMap(\.items)
        return names.isEmpty ? ["smollm2-135m"] : names
    }

    func selectedMethods() throws -> [MethodKind] {
        if methods.isAll { return MethodKind.allCases }
        return try methods.items.map { name in
            guard let kind = MethodKind(selecting: name) else {
                throw ValidationError("unknown method '\(name)'; known: \(MethodKind.spellings)")
            }
            return kind
        }
    }

    func selectedTasks() throws -> [TextTask] {
        let registry = TaskRegistry.site57
        if tasks.isAll { return registry.tasks }
        return try tasks.items.map { name in
            do { return try registry.task(named: name) } catch { throw ValidationError("\(error)") }
        }
    }

    func validate() throws {
        _ = try selectedMethods()
        _ = try selectedTasks()
        try backend.check(compute: sweep.compute)
    }

    func run() throws {
        threads.apply()
        var plan = try sweep.plan(models: models, modelStore: location.store(), tasks: try selectedTasks(), methods: try selectedMethods())
        plan.backend = backend
        let outcome = try plan.run()
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        let (root, runs) = Self.tablesLocation(results: DataDirectory.absolute(sweep.results, from: cwd))
        try ResultTables().writeAll(resultsDirectory: root, runs: runs)
        if !outcome.failures.isEmpty { throw ExitCode(1) }
    }

    /// Where the tables of a run's rows go: a folder named `runs` is the layout of `bench --all`
    /// (results/runs → results/tables, beside the ablations and regression results); any other
    /// folder gets its tables inside it, read from its rows alone.
    static func tablesLocation(results: URL) -> (root: URL, runs: URL?) {
        results.lastPathComponent == "runs" ? (results.deletingLastPathComponent(), nil) : (results, results)
    }
}

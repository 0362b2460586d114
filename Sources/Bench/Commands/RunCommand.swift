import ArgumentParser
import Foundation
import Methods
import Models
import Tasks

extension MethodKind: ExpressibleByArgument {}
extension ScoringMode: ExpressibleByArgument {}

/// `bench run`: methods × tasks on one model.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Prepare and evaluate methods on tasks of one model, and print the accuracies.",
        discussion: """
            Methods: \(MethodKind.allCases.map(\.rawValue).joined(separator: ", ")) (or "all"). Preparation
            artifacts are cached under --artifacts and reused when the settings match. SITE trains the
            mixing weights of all selected tasks together, one row per task per step.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var threads: ThreadOptions

    @Option(help: "Comma-separated task names (bench tasks list), or \"all\".")
    var tasks: String

    @Option(help: "Comma-separated methods, or \"all\".")
    var methods: String = "all"

    @Option(help: "Seed of every sampled prompt and initialisation.")
    var seed: UInt64 = 0

    @Option(help: "Demonstrations per prompt for icl.")
    var shots: Int = 10

    @Option(help: "Evaluate at most this many test items per task.")
    var maxItems: Int?

    @Option(help: "exact-match or first-token.")
    var scoring: ScoringMode = .exactMatch

    @Option(help: "Task files (default: $BENCH_DATA, else ./datasets, else ../shared/datasets).")
    var dataDir: String?

    @Option(help: "Folder of cached preparation artifacts.")
    var artifacts: String = "results/artifacts"

    @Option(help: "Prompts per batch.")
    var batchSize: Int = 32

    func selectedMethods() throws -> [MethodKind] {
        if methods == "all" { return MethodKind.allCases }
        return try methods.split(separator: ",").map { name in
            guard let kind = MethodKind(rawValue: String(name)) else {
                throw ValidationError("unknown method '\(name)'; known: \(MethodKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return kind
        }
    }

    func validate() throws {
        _ = try selectedMethods()
        if shots < 1 { throw ValidationError("--shots must be at least 1") }
        if let maxItems, maxItems < 1 { throw ValidationError("--max-items must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        threads.apply()
        let registry = TaskRegistry.site57
        let chosenTasks = tasks == "all" ? registry.tasks : try tasks.split(separator: ",").map { try registry.task(named: String($0)) }
        let lm = try model.load()
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let data = DataDirectory.resolve(flag: dataDir, environment: ProcessInfo.processInfo.environment, currentDirectory: cwd)
        let sweep = Sweep(
            model: lm, tasks: chosenTasks, methods: try selectedMethods().map { $0.makeMethod(shots: shots) },
            data: data, seed: seed,
            evaluation: EvaluationOptions(scoring: scoring, maxItems: maxItems, batchSize: batchSize),
            cache: ArtifactCache(root: URL(fileURLWithPath: artifacts, relativeTo: cwd)))
        print("model \(lm.name), seed \(seed), scoring \(scoring.rawValue)")
        print("task                        method                         accuracy  items  prep s  prep tok  test s  test tok")
        _ = try sweep.run { r in
            let name = r.task.padding(toLength: 27, withPad: " ", startingAt: 0) + " " + r.method.padding(toLength: 28, withPad: " ", startingAt: 0)
            print(name + String(format: " %9.3f  %5d  %6.1f  %8d  %6.1f  %8d", r.accuracy, r.items, r.preparationSeconds,
                                r.preparationTokens, r.testSeconds, r.testPromptTokens) + (r.preparedFromCache ? "  (cached)" : ""))
        }
    }
}

import ArgumentParser
import Foundation
import Methods
import Models
import Tasks

extension Ablation: ExpressibleByArgument {}

/// `bench ablate`: one setting at a time around the paper defaults of SITE, FV and LTV.
struct AblateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ablate",
        abstract: "Vary one setting at a time around the paper defaults (SITE, FV, LTV) and print a table per ablation.",
        discussion: """
            One variable at a time; every other setting keeps the paper default, and the default itself is \
            run once per method family and shared by its tables. Ablations: \
            site-prompts (M ∈ 1,5,10,50), site-shots (N ∈ 1,5,10), site-steps (50,100,400), \
            site-lr (0.05,0.2,1.0), site-task-agnostic (one α for all the tasks given), \
            fv-heads (k ∈ 1,5,10,20), fv-layer (L/6, L/3, L/2, 2L/3), ltv-profile (paper vs same-budget). \
            Artifacts are cached under --artifacts (the default variants reuse what `bench run` stored). \
            Rows go to results/ablations/<model>.csv.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var threads: ThreadOptions

    @Option(help: "Comma-separated task names.")
    var tasks: String = "antonym,capitalize,country-capital,english-french,sentiment,person-occupation"

    @Option(help: "Comma-separated ablations, or \"all\".")
    var ablations: String = "all"

    @Option(help: "Evaluate at most this many test items per task.")
    var maxItems: Int?

    @Option(help: "Seed of every sampled prompt and initialisation.")
    var seed: UInt64 = 0

    @Option(help: "exact-match or first-token.")
    var scoring: ScoringMode = .exactMatch

    @Option(help: "Task files (default: $BENCH_DATA, else ./datasets, else ../shared/datasets).")
    var dataDir: String?

    @Option(help: "Folder of cached preparation artifacts.")
    var artifacts: String = "results/artifacts"

    @Option(help: "Folder of the ablation result tables.")
    var output: String = "results/ablations"

    @Option(help: "Prompts per batch.")
    var batchSize: Int = 32

    func selectedAblations() throws -> [Ablation] {
        if ablations == "all" { return Ablation.allCases }
        return try ablations.split(separator: ",").map { name in
            guard let ablation = Ablation(rawValue: String(name)) else {
                throw ValidationError("unknown ablation '\(name)'; known: \(Ablation.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return ablation
        }
    }

    func validate() throws {
        _ = try selectedAblations()
        if tasks.split(separator: ",").isEmpty { throw ValidationError("--tasks names no task") }
        if let maxItems, maxItems < 1 { throw ValidationError("--max-items must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        threads.apply()
        let registry = TaskRegistry.site57
        let chosenTasks = try tasks.split(separator: ",").map { try registry.task(named: String($0)) }
        let lm = try model.load()
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let data = DataDirectory.resolve(flag: dataDir, environment: ProcessInfo.processInfo.environment, currentDirectory: cwd)
        let grid = AblationGrid(layerCount: lm.decoder.configuration.layerCount)
        let chosen = try selectedAblations()
        let plan = grid.plan(chosen)
        let cache = ArtifactCache(root: URL(fileURLWithPath: artifacts, relativeTo: cwd))
        print("model \(lm.name), seed \(seed), scoring \(scoring.rawValue), \(plan.count) variants × \(chosenTasks.count) tasks")

        // Accuracy per variant key, per task.
        var accuracy = [String: [String: Double]]()
        let resultsFile = URL(fileURLWithPath: output, relativeTo: cwd).appendingPathComponent("\(lm.name).csv")
        for variant in plan {
            var rows = [AblationResult]()
            let sweep = Sweep(
                model: lm, tasks: chosenTasks, methods: [variant.method], data: data, seed: seed,
                evaluation: EvaluationOptions(scoring: scoring, maxItems: maxItems, batchSize: batchSize), cache: cache)
            _ = try sweep.run { record in
                accuracy[variant.key, default: [:]][record.task] = record.accuracy
                rows.append(AblationResult(record: record, settings: variant.method.settings, shots: 0, maxItems: maxItems))
                standardError("  \(record.method) \(variant.value) \(record.task): " + String(format: "%.3f", record.accuracy)
                              + " (\(record.items) items, prep " + String(format: "%.1f", record.preparationSeconds) + " s"
                              + (record.preparedFromCache ? ", cached)" : ")"))
            }
            // Written per variant, so an interrupted run keeps what finished.
            try AblationResult.append(rows, to: resultsFile)
        }
        print("rows appended to \(resultsFile.path)")

        for ablation in chosen {
            let variants = [(grid.defaultValue(ablation) + " (default)", grid.defaultVariant(ablation.family).key)]
                + grid.variants(ablation).map { ($0.value, $0.key) }
            print(AblationTable(ablation: ablation, tasks: chosenTasks.map(\.name), variants: variants, accuracy: accuracy).render())
        }
    }
}

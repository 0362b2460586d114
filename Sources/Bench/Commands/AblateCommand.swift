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
            Artifacts are cached under --artifacts (the defaults reuse what `bench run` stored; variants go under <artifacts>/ablations/<ablation>-<value>/ so they never overwrite a default). \
            Rows go to results/ablations/<model>.csv; cells already there are not run again.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var backend: BackendOptions
    /// Seed, test-item cap, scoring, data, manifest, artifacts and batch size, shared with `bench run`
    /// (the root command declares the same group; its method settings are the grid's and must stay unset).
    @OptionGroup var sweep: SweepOptions

    @Option(help: "Comma-separated task names.")
    var tasks: CommaList = "antonym,capitalize,country-capital,english-french,sentiment,person-occupation"

    @Option(help: "Comma-separated ablations, or \"all\".")
    var ablations: CommaList = "all"

    @Option(help: "Folder of the ablation results (one <model>.csv, the run schema; stored cells are not rerun).")
    var output: String = "results/ablations"

    func selectedAblations() throws -> [Ablation] {
        if ablations.isAll { return Ablation.allCases }
        return try ablations.items.map { name in
            guard let ablation = Ablation(rawValue: name) else {
                throw ValidationError("unknown ablation '\(name)'; known: \(Ablation.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return ablation
        }
    }

    var seed: UInt64 { (try? sweep.seedList().first) ?? 0 }

    func validate() throws {
        _ = try selectedAblations()
        if tasks.items.isEmpty { throw ValidationError("--tasks names no task") }
        if try sweep.seedList().count != 1 { throw ValidationError("bench ablate takes one --seed") }
        let methodFlags = try sweep.setFlags(among: [.sitePrompts, .siteShots, .siteSteps, .siteLr, .siteTaskAgnostic, .fvHeads, .fvLayer, .ltvProfile])
        if !methodFlags.isEmpty {
            throw ValidationError("\(methodFlags.map(\.rawValue).joined(separator: ", ")): bench ablate sets the method settings itself; choose variables with --ablations")
        }
        if try !sweep.setFlags(among: [.results]).isEmpty { throw ValidationError("bench ablate writes under --output, not --results") }
        try backend.check(compute: sweep.compute)
    }

    func run() throws {
        threads.apply()
        let registry = TaskRegistry.site57
        let chosenTasks = try tasks.items.map { try registry.task(named: $0) }
        let (lm, runner) = try model.loadOnBackend(backend)
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let data = DataDirectory.resolve(flag: sweep.dataDir, environment: ProcessInfo.processInfo.environment, currentDirectory: cwd)
        let grid = AblationGrid(layerCount: runner.shape.layers)
        let chosen = try selectedAblations()
        let plan = grid.plan(chosen)
        let artifactsRoot = DataDirectory.absolute(sweep.artifacts, from: cwd)
        print("model \(lm.name), seed \(seed), scoring \(sweep.scoring.rawValue), \(plan.count) variants × \(chosenTasks.count) tasks")

        var store = try ResultStore(directory: DataDirectory.absolute(output, from: cwd), model: lm.name)
        let codeVersion = RunProvenance.codeVersion
        let dataVersions = DataVersions(manifest: DataDirectory.absolute(sweep.manifest, from: cwd), data: data)
        let stored = Dictionary(store.rows.map { ($0.key, $0.accuracy) }, uniquingKeysWith: { first, _ in first })

        // Accuracy per variant key, per task: new cells are run and stored, stored ones are reused.
        var accuracy = [String: [String: Double]]()
        for variant in plan {
            var variantSweep = Sweep(
                model: lm, tasks: chosenTasks, methods: [variant.method], data: data, seed: seed,
                evaluation: EvaluationOptions(scoring: sweep.scoring, maxItems: sweep.maxItems, batchSize: sweep.batchSize),
                cache: ArtifactCache(root: artifactsRoot))
            variantSweep.backend = runner
            let finished = store
            _ = try variantSweep.run(skip: { finished.contains(ResultRow.Key($0)) }) { event in
                switch event {
                case .finished(let record):
                    accuracy[variant.key, default: [:]][record.task] = record.accuracy
                    try store.append(ResultRow(
                        record, provenance: .now(codeVersion: codeVersion, dataVersion: dataVersions.version(of: record.task))))
                    standardError("  \(record.method) \(variant.value) \(record.task): " + String(format: "%.3f", record.accuracy)
                                  + " (\(record.items) items, prep " + String(format: "%.1f", record.preparationSeconds) + " s"
                                  + (record.preparedFromCache ? ", cached)" : ")"))
                case .skipped(let cell):
                    accuracy[variant.key, default: [:]][cell.task] = stored[ResultRow.Key(cell)]
                    standardError("  \(cell.method) \(variant.value) \(cell.task): stored")
                case .failed(let cell, let phase, let error):
                    standardError("  \(cell.method) \(variant.value) \(cell.task): failed in \(phase): \(error)")
                case .preparing, .evaluating, .takenElsewhere:
                    break
                }
            }
        }
        print("rows in \(store.url.path)")

        for ablation in chosen {
            let variants = [(grid.defaultValue(ablation) + " (default)", grid.defaultVariant(ablation.family).key)]
                + grid.variants(ablation).map { ($0.value, $0.key) }
            print(AblationTable(ablation: ablation, tasks: chosenTasks.map(\.name), variants: variants, accuracy: accuracy).render())
        }
    }
}

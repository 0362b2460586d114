import ArgumentParser
import Foundation
import Methods
import Models
import Tasks
import Tensors

extension ScoringMode: ExpressibleByArgument {}
extension LTVSettings.Profile: ExpressibleByArgument {}

/// The options of a stored sweep shared by `bench run` and `bench --all`: seeds, evaluation,
/// folders and every method hyperparameter (unset ones keep the papers' values).
struct SweepOptions: ParsableArguments {
    @Option(name: [.customLong("seed"), .customLong("seeds")], help: "Seed, or a comma list of seeds; each seeds every sampled prompt and initialisation.")
    var seeds: CommaList = "0"

    @Option(help: "Demonstrations per prompt for icl.")
    var shots: Int = 10

    @Option(help: "Evaluate at most this many test items per task (default: all).")
    var maxItems: Int?

    @Option(help: "exact-match or first-token.")
    var scoring: ScoringMode = .exactMatch

    @Option(help: "Task files (default: $BENCH_DATA, else ./datasets, else ../shared/datasets).")
    var dataDir: String?

    @Option(help: "The dataset manifest the data versions are read from (a task it lacks is hashed from its file).")
    var manifest: String = "datasets/manifest.json"

    @Option(help: "Folder of cached preparation artifacts.")
    var artifacts: String = "results/artifacts"

    @Option(help: "Folder of the result files, one <model>.csv each.")
    var results: String = "results/runs"

    @Option(help: "Also write every new cell's answers (test item, target, prediction, correct) to <answers>/<model>/<task>/<method>-seed<S>-<settings hash>.csv.")
    var answers: String?

    @Option(help: "Precision of the forward weight products: float32 (the reference) or bfloat16 (float32 sums as AVX512_BF16 makes them, with that instruction where the CPU has it, else AVX2 fused multiply-adds giving the same sums; recorded in each row's and artifact's settings). int8 needs GGUF block weights, which sweeps do not load: bench perf --weights quantized --compute int8 measures it.")
    var compute: ComputePrecision = .float32

    @Option(help: "Prompts per batch.")
    var batchSize: Int = 32

    @Option(help: "Prompt tokens a cell's journal part holds at most (whole batches; one batch may exceed it): a killed run loses at most one part of a cell.")
    var journalPartTokens: Int = EvaluationOptions.defaultJournalPartTokens

    @Option(help: "SITE and LTV: tasks trained together at most (each holds its train and valid prompts' KV caches in memory: on SmolLM2 about 18 GB for all 57 tasks at once; results do not depend on it).")
    var jointTasks: Int = Sweep.defaultJointGroupSize

    @Option(help: "SITE: M, prompts averaged into the task embedding (paper: 50).")
    var sitePrompts: Int?

    @Option(help: "SITE: N, demonstrations in each of those prompts (paper: 10).")
    var siteShots: Int?

    @Option(help: "SITE: Adam steps (paper: 400).")
    var siteSteps: Int?

    @Option(help: "SITE: Adam learning rate (paper: 0.2).")
    var siteLr: Float?

    @Flag(help: "SITE: one set of weights for all tasks (method name site-agnostic).")
    var siteTaskAgnostic = false

    @Option(help: "FV: k, heads summed into the vector (paper: 10).")
    var fvHeads: Int?

    @Option(help: "FV: the layer the vector is added after (default: L/3).")
    var fvLayer: Int?

    @Option(help: "LTV: same-budget (SITE's budget) or paper (the reference recipe; method name ltv-paper).")
    var ltvProfile: LTVSettings.Profile = .sameBudget

    func seedList() throws -> [UInt64] {
        let list = try seeds.items.map { text -> UInt64 in
            guard let seed = UInt64(text) else { throw ValidationError("--seed: '\(text)' is not a non-negative integer") }
            return seed
        }
        if list.isEmpty { throw ValidationError("--seed: give at least one seed") }
        return list
    }

    var hyperparameters: MethodHyperparameters {
        var h = MethodHyperparameters()
        h.shots = shots
        if let sitePrompts { h.site.embeddingPrompts = sitePrompts }
        if let siteShots { h.site.embeddingShots = siteShots }
        if let siteSteps { h.site.steps = siteSteps }
        if let siteLr { h.site.learningRate = siteLr }
        h.site.taskAgnostic = siteTaskAgnostic
        if let fvHeads { h.functionVectorHeads = fvHeads }
        h.functionVectorLayer = fvLayer
        h.ltv = ltvProfile == .paper ? .paper() : .sameBudget
        return h
    }

    /// The method settings are checked by the methods' own rules (`MethodHyperparameters.validate`),
    /// so a value the command line accepts never fails every cell later.
    func validate() throws {
        _ = try seedList()
        // icl with 0 shots would be the zero-shot method under another name.
        if shots < 1 { throw ValidationError("--shots must be at least 1") }
        if let maxItems, maxItems < 1 { throw ValidationError("--max-items must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if journalPartTokens < 1 { throw ValidationError("--journal-part-tokens must be at least 1") }
        if jointTasks < 1 { throw ValidationError("--joint-tasks must be at least 1") }
        // Sweeps load float32 weights, which int8 leaves as they are: refused rather than run as float32.
        if compute == .int8 {
            throw ValidationError("--compute int8 acts on GGUF block weights only, and sweeps load float32 weights: use float32 or bfloat16 (bench perf --weights quantized --compute int8 measures int8)")
        }
        do {
            try hyperparameters.validate()
        } catch let error as MethodError {
            throw ValidationError(Self.flagged(error))
        }
    }

    /// The flags of this group that some command leaves unread or that set a method setting, by their long names.
    enum FlagName: String {
        case shots = "--shots", results = "--results", answers = "--answers", manifest = "--manifest"
        case journalPartTokens = "--journal-part-tokens"
        case sitePrompts = "--site-prompts", siteShots = "--site-shots", siteSteps = "--site-steps", siteLr = "--site-lr"
        case siteTaskAgnostic = "--site-task-agnostic"
        case fvHeads = "--fv-heads", fvLayer = "--fv-layer", ltvProfile = "--ltv-profile"
    }

    /// The flags among `flags` given a value other than their default, in the order asked: a
    /// command that reads only part of this group refuses the others rather than run without them.
    func setFlags(among flags: [FlagName]) throws -> [FlagName] {
        let defaults = try Self.parse([])
        return flags.filter { flag in
            switch flag {
            case .shots: shots != defaults.shots
            case .results: results != defaults.results
            case .answers: answers != nil
            case .manifest: manifest != defaults.manifest
            case .journalPartTokens: journalPartTokens != defaults.journalPartTokens
            case .sitePrompts: sitePrompts != nil
            case .siteShots: siteShots != nil
            case .siteSteps: siteSteps != nil
            case .siteLr: siteLr != nil
            case .siteTaskAgnostic: siteTaskAgnostic
            case .fvHeads: fvHeads != nil
            case .fvLayer: fvLayer != nil
            case .ltvProfile: ltvProfile != defaults.ltvProfile
            }
        }
    }

    /// The flag of each method setting this group sets, by method and setting name.
    static let settingFlags: [MethodKind: [String: FlagName]] = [
        .site: ["embedding_prompts": .sitePrompts, "embedding_shots": .siteShots, "steps": .siteSteps, "lr": .siteLr],
        .functionVector: ["top_heads": .fvHeads, "layer": .fvLayer],
    ]

    /// A method's complaint, led by the flag that set the value when there is one.
    static func flagged(_ error: MethodError) -> String {
        guard case let .invalidSetting(method, setting, _, _) = error, let kind = MethodName(method)?.kind,
              let flag = settingFlags[kind]?[setting] else {
            return "\(error)"
        }
        return "\(flag.rawValue): \(error)"
    }

    func plan(models: [String], modelStore: ModelStore, tasks: [TextTask], methods: [MethodKind]) throws -> StoredSweep {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        let data = DataDirectory.resolve(flag: dataDir, environment: ProcessInfo.processInfo.environment, currentDirectory: cwd)
        return StoredSweep(
            models: models, modelStore: modelStore, tasks: tasks, methods: methods, hyperparameters: hyperparameters,
            seeds: try seedList(), evaluation: EvaluationOptions(scoring: scoring, maxItems: maxItems, batchSize: batchSize, journalPartTokens: journalPartTokens),
            data: data, dataVersions: DataVersions(manifest: DataDirectory.absolute(manifest, from: cwd), data: data),
            resultsDirectory: DataDirectory.absolute(results, from: cwd),
            // Artifacts prepared in another precision are named apart from float32's: the native
            // backend's settings name the precision.
            artifacts: DataDirectory.absolute(artifacts, from: cwd), compute: compute,
            answers: answers.map { DataDirectory.absolute($0, from: cwd) }, jointTasks: jointTasks)
    }
}

import ArgumentParser
import Foundation
import Methods
import Models
import Tasks

/// `bench --all`: the whole benchmark into results/, resumable (finished cells are skipped), on
/// every test item of the 57 tasks (19,508) unless --max-items caps it (the tables state a cap).
///
/// 1. For each default model (fetched when absent): the 57 tasks × zero-shot, icl-10, fv, tv, ltv,
///    site with the papers' settings, into results/runs/<model>.csv.
/// 2. SITE's head analysis of each model into results/heads/<model>/, where the sweep's SITE
///    artifacts of all 57 tasks are on this machine (`SITEHeadsStage`).
/// 3. The regression steering benchmark into results/regression/steering.csv.
/// 4. The tables, from everything under results/.
struct AllBenchmark {
    static let defaultModels = ["smollm2-135m", "gemma3-270m"]
    static let methods: [MethodKind] = [.zeroShot, .icl, .functionVector, .taskVector, .ltv, .site]

    var models: [String]
    var sweep: SweepOptions
    var modelStore: ModelStore
    var resultsRoot: URL
    var heads: any HeadsStage
    var regression: any RegressionBenchmarkStage
    var tables: any TablesStage

    /// - Returns: the text cells and head analyses that failed (the later stages still run).
    func run() throws -> [SweepProgress.Failure] {
        let plan = try sweep.plan(models: models, modelStore: modelStore, tasks: TaskRegistry.site57.tasks, methods: Self.methods)
        let text = try plan.run()
        let headFailures = heads.runAll(models: models, sweep: sweep, modelStore: modelStore, resultsDirectory: resultsRoot)
        try regression.runAll(resultsDirectory: resultsRoot)
        try tables.writeAll(resultsDirectory: resultsRoot)
        return text.failures + headFailures
    }
}

/// The head analysis' entry point for `bench --all`.
protocol HeadsStage {
    /// Writes (resumably) each model's head analysis under `resultsDirectory`/heads.
    /// - Returns: one failure per model whose analysis failed (the others still run).
    func runAll(models: [String], sweep: SweepOptions, modelStore: ModelStore, resultsDirectory: URL) -> [SweepProgress.Failure]
}

/// The regression steering benchmark's entry point for `bench --all`.
protocol RegressionBenchmarkStage {
    /// Writes (resumably) results/regression/steering.csv under `resultsDirectory`.
    func runAll(resultsDirectory: URL) throws
}

/// The tables' entry point for `bench --all`.
protocol TablesStage {
    /// Writes every table from the result files under `resultsDirectory`.
    func writeAll(resultsDirectory: URL) throws
}

import Foundation

/// Variance over seeds, from result rows alone (the SITE paper's reviewers asked for it; the
/// reference code sets no seed).
enum SeedTables {
    /// Per model and method variant run under two seeds or more: the mean accuracy over the tasks
    /// that every one of its seeds finished, per seed, then their mean and sample standard
    /// deviation. Nil when no variant has two seeds.
    static func table(_ cells: [AccuracyCell]) -> ResultTable? {
        var rows = [[String]]()
        for model in TextTables.orderedModels(cells) {
            let mine = cells.filter { $0.model == model }
            let variants = MethodVariant.variants(of: mine)
            let byVariant = Dictionary(grouping: zip(mine, variants), by: \.1).mapValues { $0.map(\.0) }
            for variant in byVariant.keys.sorted() {
                let runs = byVariant[variant]!
                let seeds = Set(runs.map(\.seed)).sorted()
                guard seeds.count > 1 else { continue }
                let tasksPerSeed = seeds.map { seed in Set(runs.filter { $0.seed == seed }.map(\.task)) }
                let tasks = tasksPerSeed.dropFirst().reduce(tasksPerSeed[0]) { $0.intersection($1) }.sorted()
                guard !tasks.isEmpty else { continue }
                let means = seeds.map { seed in
                    tasks.reduce(0.0) { sum, task in
                        sum + runs.first { $0.seed == seed && $0.task == task }!.accuracy
                    } / Double(tasks.count)
                }
                let mean = means.reduce(0, +) / Double(means.count)
                let sd = (means.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(means.count - 1)).squareRoot()
                rows.append([model, variant.label, "\(tasks.count)", seeds.map(String.init).joined(separator: ","),
                             String(format: "%.2f", 100 * mean), String(format: "%.2f", 100 * sd),
                             means.map { String(format: "%.2f", 100 * $0) }.joined(separator: " / ")])
            }
        }
        guard !rows.isEmpty else { return nil }
        return ResultTable(
            title: "Variance over seeds", header: ["model", "method", "tasks", "seeds", "mean %", "sd %", "per seed %"], rows: rows,
            notes: ["Exact-match accuracy (%): per seed the mean over the tasks every seed finished, then the mean and the "
                    + "sample standard deviation of those means. A seed draws the demonstrations, the prompts a method "
                    + "prepares from and its initialisation."] + TextTables.capNotes(cells))
    }
}

/// What the tables need of one text result row.
struct AccuracyCell: Equatable {
    var model: String
    var task: String
    var method: String
    var settingsHash: String
    /// Canonical "k=v;k=v" settings.
    var settings: String = ""
    var seed: UInt64
    var accuracy: Double
    var items: Int
    /// The cap on test items the run used (nil: every item).
    var maxItems: Int?
    /// `ScoringMode`'s raw value: the main tables read exact-match cells only.
    var scoring: String = "exact-match"
}

/// A method as a table row: its name, plus the settings hash when one model's results hold the
/// same method under several settings (so two variants are never averaged together).
struct MethodVariant: Hashable, Comparable {
    var method: String
    var settingsHash: String?

    var label: String {
        let name = MethodVariant.displayNames[method] ?? method
        return settingsHash.map { "\(name) [\($0)]" } ?? name
    }

    static let displayNames = [
        "zero-shot": "0-shot", "icl-10": "10-shot ICL", "function-vectors": "FV", "task-vectors": "TV",
        "ltv": "LTV", "ltv-paper": "LTV (paper settings)", "site": "SITE", "site-agnostic": "SITE (task-agnostic)",
    ]
    /// Baselines first, then the task representations in the order of the papers, then the
    /// methods only the papers ran.
    static let order = ["zero-shot", "icl-5", "icl-10", "function-vectors", "task-vectors", "ltv", "ltv-paper", "site", "site-agnostic",
                        "I2CL", "LoRA"]

    static func < (a: MethodVariant, b: MethodVariant) -> Bool {
        let ia = order.firstIndex(of: a.method) ?? order.count, ib = order.firstIndex(of: b.method) ?? order.count
        if ia != ib { return ia < ib }
        if a.method != b.method { return a.method < b.method }
        return (a.settingsHash ?? "") < (b.settingsHash ?? "")
    }
}

extension MethodVariant {
    /// The variant of each cell, in order: its method, labelled with a settings hash only where
    /// `cells` hold that method under several settings, scorings or item caps. Seeds never split a
    /// variant (the hash covers the seed, so each variant is labelled with the hash of its
    /// lowest-seed cell): the tables average seeds.
    static func variants(of cells: [AccuracyCell]) -> [MethodVariant] {
        let groups = Dictionary(grouping: cells, by: \.variantKey)
        let label = groups.mapValues { $0.min { ($0.seed, $0.settingsHash) < ($1.seed, $1.settingsHash) }!.settingsHash }
        let keysPerMethod = Dictionary(grouping: groups.keys, by: \.method).mapValues(\.count)
        return cells.map { cell in
            MethodVariant(method: cell.method, settingsHash: keysPerMethod[cell.method]! > 1 ? label[cell.variantKey]! : nil)
        }
    }
}

extension AccuracyCell {
    /// What makes two cells of one method different experiments: everything but the seed.
    struct VariantKey: Hashable {
        var method: String
        var settings: String
        var scoring: String
        var maxItems: Int?
    }

    var variantKey: VariantKey { VariantKey(method: method, settings: settings, scoring: scoring, maxItems: maxItems) }
}

/// Accuracy per (variant, task) of one model, each the mean over seeds.
struct TaskAccuracies {
    var byVariant: [MethodVariant: [String: (accuracy: Double, items: Int, seeds: Int, capped: Int?)]] = [:]

    init(_ cells: [AccuracyCell]) {
        for (cell, variant) in zip(cells, MethodVariant.variants(of: cells)) {
            var tasks = byVariant[variant] ?? [:]
            let old = tasks[cell.task] ?? (accuracy: 0, items: 0, seeds: 0, capped: nil)
            let seeds = old.seeds + 1
            tasks[cell.task] = (accuracy: (old.accuracy * Double(old.seeds) + cell.accuracy) / Double(seeds),
                                items: max(old.items, cell.items), seeds: seeds, capped: cell.maxItems ?? old.capped)
            byVariant[variant] = tasks
        }
    }

    var variants: [MethodVariant] { byVariant.keys.sorted() }

    /// Mean accuracy over the tasks done, and their count.
    func mean(_ variant: MethodVariant) -> (accuracy: Double, tasks: Int)? {
        guard let tasks = byVariant[variant], !tasks.isEmpty else { return nil }
        // Summed in task order: a dictionary's order changes between processes, and so would the last digit.
        return (tasks.keys.sorted().reduce(0) { $0 + tasks[$1]!.accuracy } / Double(tasks.count), tasks.count)
    }
}

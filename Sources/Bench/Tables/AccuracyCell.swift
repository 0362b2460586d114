import Methods

/// What the tables need of one text result row.
struct AccuracyCell: Equatable {
    var model: String
    var task: String
    var method: MethodName
    var settingsHash: String
    /// Canonical "k=v;k=v" settings.
    var settings: String = ""
    var seed: UInt64
    var accuracy: Double
    var items: Int
    /// The cap on test items the run used (nil: every item).
    var maxItems: Int?
    /// The main tables read exact-match cells only.
    var scoring: ScoringMode = .exactMatch
}

/// A method as a table row: its name, plus the settings hash when one model's results hold the
/// same method under several settings (so two variants are never averaged together).
struct MethodVariant: Hashable, Comparable {
    var method: MethodName
    var settingsHash: String?

    var label: String {
        settingsHash.map { "\(method.tableName) [\($0)]" } ?? method.tableName
    }

    /// Methods in table order, then variants by hash.
    static func < (a: MethodVariant, b: MethodVariant) -> Bool {
        if a.method != b.method { return a.method < b.method }
        return (a.settingsHash ?? "") < (b.settingsHash ?? "")
    }
}

/// How the tables name and order methods.
extension MethodName: Comparable {
    /// The row label of a method.
    var tableName: String {
        switch self {
        case .zeroShot: return "0-shot"
        case .icl(let shots): return "\(shots)-shot ICL"
        case .functionVectors: return "FV"
        case .functionVectorsFixedHeads: return "FV (fixed heads)"
        case .taskVectors: return "TV"
        case .ltv: return "LTV"
        case .ltvPaper: return "LTV (paper settings)"
        case .site: return "SITE"
        case .siteAgnostic: return "SITE (task-agnostic)"
        }
    }

    /// Baselines first (ICL by shots), then the task representations in the order of the papers.
    private var tableRank: (Int, Int) {
        switch self {
        case .zeroShot: return (0, 0)
        case .icl(let shots): return (1, shots)
        case .functionVectors: return (2, 0)
        case .functionVectorsFixedHeads: return (3, 0)
        case .taskVectors: return (4, 0)
        case .ltv: return (5, 0)
        case .ltvPaper: return (6, 0)
        case .site: return (7, 0)
        case .siteAgnostic: return (8, 0)
        }
    }

    public static func < (a: MethodName, b: MethodName) -> Bool { a.tableRank < b.tableRank }
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
        var method: MethodName
        var settings: String
        var scoring: ScoringMode
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

import Foundation
import Methods

/// The function-vector paper's scoring beside this project's, from result rows alone.
enum ScoringTables {
    /// Per model and method: mean exact-match accuracy and mean filtered first-token accuracy
    /// (Todd et al.: first token, on the items 10-shot ICL answers right) over the tasks that have
    /// both, and the share of test items the filter kept. Nil when no row uses the filtered scoring.
    static func filteredBesideExact(_ cells: [AccuracyCell]) -> ResultTable? {
        let exact = cells.filter { $0.scoring == .exactMatch }
        let filtered = cells.filter { $0.scoring == .filteredFirstToken }
        guard !filtered.isEmpty else { return nil }
        var rows = [[String]]()
        var compared = Set<String>()  // "model/task" pairs in the table, for the cap note
        for model in TextTables.orderedModels(filtered) {
            let exactTasks = TaskAccuracies(exact.filter { $0.model == model }).byVariant
            let filteredTasks = TaskAccuracies(filtered.filter { $0.model == model }).byVariant
            for variant in filteredTasks.keys.sorted() {
                guard let kept = filteredTasks[variant],
                      let exactVariant = exactTasks.keys.sorted().first(where: { $0.method == variant.method }),
                      let all = exactTasks[exactVariant] else { continue }
                let tasks = Set(kept.keys).intersection(all.keys).sorted()
                guard !tasks.isEmpty else { continue }
                compared.formUnion(tasks.map { "\(model)/\($0)" })
                let n = Double(tasks.count)
                let exactMean = tasks.reduce(0) { $0 + all[$1]!.accuracy } / n
                let filteredMean = tasks.reduce(0) { $0 + kept[$1]!.accuracy } / n
                let keptItems = tasks.reduce(0) { $0 + kept[$1]!.items }, allItems = tasks.reduce(0) { $0 + all[$1]!.items }
                rows.append([model, variant.label, "\(tasks.count)", String(format: "%.2f", 100 * exactMean),
                             String(format: "%.2f", 100 * filteredMean),
                             String(format: "%.1f", allItems == 0 ? 0 : 100 * Double(keptItems) / Double(allItems))])
            }
        }
        let notes = [
            "exact match: greedy generation, normalised prefix match (the SITE paper's scoring), on every evaluated test item.",
            "filtered first token: the arg-max at the last prompt token is the answer's first token, counted only on the "
                + "items that 10-shot ICL answers right by its first token (same seed), as the function-vector paper scores; "
                + "items kept: their share of the test items.",
            "Means over the tasks that have both scorings.",
        ] + TextTables.capNotes(exact.filter { compared.contains("\($0.model)/\($0.task)") })
        return ResultTable(title: "FV-paper scoring beside exact match",
                           header: ["model", "method", "tasks", "exact match %", "filtered first token %", "items kept %"],
                           rows: rows, notes: notes)
    }
}

import Foundation

/// The per-prompt protocol's table: (condition, method) × k, raw squared error.
enum PromptSteeringTables {
    /// The k shown (those present of these): even (steered methods are scored every 2nd k in the
    /// committed run), up to 4× a trained length of 21 points, 4 and 8 for the orthogonal query.
    static let shownExamples = [0, 4, 8, 10, 20, 30, 40, 50, 60, 70, 82]
    static let methodOrder = ["transformer", "fv", "ltv", "site", "least-squares", "3-nearest-neighbours", "averaging"]

    static func table(_ rows: [PromptSteeringResultRow], checkpoint: String) -> ResultTable {
        let mine = rows.filter { $0.checkpoint == checkpoint }
        let ks = shownExamples.filter { k in mine.contains { $0.inContextExamples == k } }
        var conditions = [String]()
        for row in mine where !conditions.contains(row.condition) { conditions.append(row.condition) }
        var table = [[String]]()
        for condition in conditions {
            let methods = Set(mine.filter { $0.condition == condition }.map(\.method)).sorted {
                (methodOrder.firstIndex(of: $0) ?? methodOrder.count, $0) < (methodOrder.firstIndex(of: $1) ?? methodOrder.count, $1)
            }
            for method in methods {
                let cells = ks.map { k in
                    mine.last { $0.condition == condition && $0.method == method && $0.inContextExamples == k }
                        .map { String(format: "%.3f", $0.squaredError) } ?? "—"
                }
                table.append(["\(condition): \(method)"] + cells)
            }
        }
        let prompts = Set(mine.map(\.prompts)).sorted().map(String.init).joined(separator: ", ")
        return ResultTable(
            title: "Function regression, per-prompt task vectors (LTV protocol): squared error (\(checkpoint))",
            header: ["condition: method"] + ks.map { "k=\($0)" }, rows: table,
            notes: ["Raw squared error (ŷ − y)² of the query prediction, mean over \(prompts) prompts, per number k of in-context examples; "
                    + "— where a method was not scored at that k (the orthogonal query exists only for k < d; steered methods are "
                    + "scored every few k). The latest row of each method is shown."])
    }
}

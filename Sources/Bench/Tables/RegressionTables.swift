import Foundation

/// What the regression table needs of one steering row.
struct RegressionCell: Equatable {
    var checkpoint: String
    var method: String
    /// Rows of one method under different settings are shown apart.
    var settingsHash: String = ""
    var condition: String
    var inContextExamples: Int
    var squaredErrorPerDim: Double
}

enum RegressionTables {
    /// The prompt lengths shown (those present of these).
    static let shownExamples = [0, 1, 2, 3, 5, 10, 15, 20, 30, 40]
    static let methodOrder = ["transformer", "fv", "function-vectors", "ltv", "site"]

    /// (condition, method) × in-context examples: squared error / d, one table per checkpoint.
    static func table(_ cells: [RegressionCell], checkpoint: String) -> ResultTable {
        let mine = cells.filter { $0.checkpoint == checkpoint }
        let ks = shownExamples.filter { k in mine.contains { $0.inContextExamples == k } }
        var conditions = [String]()
        for cell in mine where !conditions.contains(cell.condition) { conditions.append(cell.condition) }
        if let i = conditions.firstIndex(of: "in-distribution") { conditions.insert(conditions.remove(at: i), at: 0) }
        var rows = [[String]]()
        let hashesPerMethod = Dictionary(grouping: mine, by: \.method).mapValues { cells in
            cells.map(\.settingsHash).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        }
        for condition in conditions {
            let methods = Set(mine.filter { $0.condition == condition }.map(\.method)).sorted {
                (methodOrder.firstIndex(of: $0) ?? methodOrder.count, $0) < (methodOrder.firstIndex(of: $1) ?? methodOrder.count, $1)
            }
            for method in methods {
                let hashes = hashesPerMethod[method] ?? [""]
                for hash in hashes {
                    let label = hashes.count > 1 ? "\(condition): \(method) [\(hash)]" : "\(condition): \(method)"
                    rows.append([label] + ks.map { k in
                        mine.last { $0.condition == condition && $0.method == method && $0.settingsHash == hash && $0.inContextExamples == k }
                            .map { String(format: "%.3f", $0.squaredErrorPerDim) } ?? "—"
                    })
                }
            }
        }
        return ResultTable(title: "Function regression: squared error / d (\(checkpoint))",
                           header: ["condition: method"] + ks.map { "k=\($0)" }, rows: rows,
                           notes: ["Squared error of the query prediction divided by d, mean over prompts, per number k of in-context examples; "
                                   + "a method stored under several settings is shown once per settings hash."])
    }
}

import Foundation
import Methods

/// Accuracy on task A's test items with α of A and the task embedding of B.
struct CrossTaskReport {
    var tasks: [String]
    /// accuracy[a][b].
    var accuracy: [[Double]]
    /// Test items evaluated per task A.
    var items: [Int]

    func csv() -> String {
        CSV.line(["alpha_task", "items"] + tasks.map { "embedding_\($0)" }) + tasks.enumerated().map { a, task in
            CSV.line([task, "\(items[a])"] + accuracy[a].map { String(format: "%.4f", $0) })
        }.joined()
    }

    func markdown() -> String {
        var lines = ["Cross-task injection: accuracy on the row task's test items, α of the row task, task embedding of the column task (diagonal: SITE)",
                     "", "| α of \\ embedding of | " + tasks.joined(separator: " | ") + " |",
                     "|---|" + String(repeating: "---:|", count: tasks.count)]
        for (a, task) in tasks.enumerated() {
            lines.append("| \(task) (\(items[a]) items) | " + accuracy[a].map { String(format: "%.3f", $0) }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// SITE vs the task embedding patched (α = 1) into only the k highest- or k lowest-α heads.
struct PatchingReport {
    struct Row {
        var task: String
        var site: Double
        var highest: Double
        var lowest: Double
        var items: Int
    }
    var k: Int
    var rows: [Row] = []

    func csv() -> String {
        CSV.line(["task", "items", "site", "top\(k)_alpha_heads", "bottom\(k)_alpha_heads"]) + rows.map {
            CSV.line([$0.task, "\($0.items)"] + [$0.site, $0.highest, $0.lowest].map { String(format: "%.4f", $0) })
        }.joined()
    }

    func markdown() -> String {
        var lines = ["Patching the task embedding (α = 1) into only the \(k) highest- or \(k) lowest-α heads",
                     "", "| task | items | SITE | top-\(k) α heads | bottom-\(k) α heads |", "|---|---:|---:|---:|---:|"]
        for r in rows {
            lines.append("| \(r.task) | \(r.items) | " + [r.site, r.highest, r.lowest].map { String(format: "%.3f", $0) }.joined(separator: " | ") + " |")
        }
        if !rows.isEmpty {
            let n = Double(rows.count)
            lines.append("| mean | | " + [rows.map(\.site), rows.map(\.highest), rows.map(\.lowest)]
                .map { String(format: "%.3f", $0.reduce(0, +) / n) }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

import Foundation
import Methods

/// Jaccard overlap |A ∩ B| / |A ∪ B| of sets of heads; 1 when both are empty.
func jaccard(_ a: Set<AttentionHead>, _ b: Set<AttentionHead>) -> Double {
    let union = a.union(b).count
    return union == 0 ? 1 : Double(a.intersection(b).count) / Double(union)
}

/// The overlap of every pair of tasks' top-k heads.
struct HeadOverlapTable {
    var tasks: [String]
    /// matrix[i][j] = jaccard(top(i), top(j)); symmetric, 1 on the diagonal.
    var matrix: [[Double]]
    var k: Int

    /// - Precondition: `topHeads` has one set per task.
    init(tasks: [String], topHeads: [Set<AttentionHead>], k: Int) {
        precondition(tasks.count == topHeads.count, "HeadOverlapTable: \(tasks.count) tasks, \(topHeads.count) head sets")
        self.tasks = tasks
        self.k = k
        matrix = topHeads.map { a in topHeads.map { b in jaccard(a, b) } }
    }

    /// Header `task,<task>...`, then one row per task; values with 4 decimals.
    func csv() -> String {
        CSV.line(["task"] + tasks) + tasks.enumerated().map { i, task in
            CSV.line([task] + matrix[i].map { String(format: "%.4f", $0) })
        }.joined()
    }

    /// A Markdown table (2 decimals), with the mean off-diagonal overlap below it.
    func markdown() -> String {
        var lines = ["Jaccard overlap of the top-\(k) α heads", "", "| task | " + tasks.joined(separator: " | ") + " |",
                     "|---|" + String(repeating: "---:|", count: tasks.count)]
        for (i, task) in tasks.enumerated() {
            lines.append("| \(task) | " + matrix[i].map { String(format: "%.2f", $0) }.joined(separator: " | ") + " |")
        }
        if let mean = meanOffDiagonal {
            lines += ["", String(format: "Mean over task pairs: %.3f", mean)]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The mean over pairs i ≠ j; nil with fewer than two tasks.
    var meanOffDiagonal: Double? {
        guard tasks.count > 1 else { return nil }
        var sum = 0.0
        for i in tasks.indices { for j in tasks.indices where i != j { sum += matrix[i][j] } }
        return sum / Double(tasks.count * (tasks.count - 1))
    }
}

import Foundation

/// The compact table of one ablation: a row per value of the variable, a column per task and
/// the mean over tasks; "-" where a result is missing.
struct AblationTable {
    var ablation: Ablation
    var tasks: [String]
    /// (value label, variant key) in row order.
    var variants: [(label: String, key: String)]
    /// accuracy[variant key][task].
    var accuracy: [String: [String: Double]]

    func render() -> String {
        let labelWidth = max(22, (variants.map(\.label.count).max() ?? 0) + 1)
        let columns = tasks.map { max(8, min($0.count, 18)) }
        var lines = ["", "\(ablation.rawValue): \(ablation.variable)"]
        var header = ablation.variable.padding(toLength: labelWidth, withPad: " ", startingAt: 0)
        for (task, width) in zip(tasks, columns) {
            header += " " + String(task.prefix(width)).leftPadded(to: width)
        }
        lines.append(header + "     mean")
        for variant in variants {
            var line = variant.label.padding(toLength: labelWidth, withPad: " ", startingAt: 0)
            let row = accuracy[variant.key] ?? [:]
            for (task, width) in zip(tasks, columns) {
                line += " " + (row[task].map { String(format: "%.3f", $0) } ?? "-").leftPadded(to: width)
            }
            let values = tasks.compactMap { row[$0] }
            line += " " + (values.count == tasks.count && !values.isEmpty
                           ? String(format: "%.3f", values.reduce(0, +) / Double(values.count)) : "-").leftPadded(to: 8)
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

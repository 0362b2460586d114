import Foundation
import Methods

enum AblationTables {
    /// Variants × tasks of one model: each variant labelled by the settings in which it differs from
    /// the other variants of its method.
    static func table(_ cells: [AccuracyCell], model: String) -> ResultTable {
        let mine = cells.filter { $0.model == model }
        let tasks = Set(mine.map(\.task)).sorted()
        var keys = [MethodName: [String]]()  // method → variant settings in first-appearance order
        for cell in mine where !(keys[cell.method]?.contains(cell.settings) ?? false) {
            keys[cell.method, default: []].append(cell.settings)
        }
        let methods = keys.keys.sorted()
        var rows = [[String]]()
        for method in methods {
            let variants = keys[method]!
            for settings in variants {
                let name = method.tableName
                let label = variants.count == 1 ? name : name + " " + differing(settings, among: variants)
                var accuracies = [Double]()
                var row = [label.trimmingCharacters(in: .whitespaces)]
                for task in tasks {
                    let runs = mine.filter { $0.method == method && $0.settings == settings && $0.task == task }
                    if runs.isEmpty { row.append("—"); continue }
                    let accuracy = runs.reduce(0) { $0 + $1.accuracy } / Double(runs.count)
                    accuracies.append(accuracy)
                    row.append(String(format: "%.1f", 100 * accuracy))
                }
                row.append(accuracies.isEmpty ? "—" : String(format: "%.1f", 100 * accuracies.reduce(0, +) / Double(accuracies.count)))
                rows.append(row)
            }
        }
        return ResultTable(title: "Ablations: \(model)", header: ["variant"] + tasks + ["mean"], rows: rows,
                           notes: ["Exact-match accuracy (%); each variant changes one setting of the paper's defaults."]
                               + TextTables.capNotes(mine))
    }

    /// The "k=v" pairs in which `settings` departs from the defaults, where a key's default is its
    /// most common value among `variants` (each ablation changes one setting, so the defaults
    /// outnumber every other value).
    static func differing(_ settings: String, among variants: [String]) -> String {
        let parsed = variants.map { parse($0).values }
        let mine = parse(settings).values
        let keys = mine.keys.sorted().filter { key in
            var counts = [String: Int]()
            for variant in parsed { counts[variant[key] ?? "", default: 0] += 1 }
            let top = counts.values.max() ?? 0
            let defaults = counts.filter { $0.value == top }.map(\.key)
            return defaults.count == 1 && mine[key] != defaults[0]
        }
        return keys.isEmpty ? "(defaults)" : keys.map { "\($0)=\(mine[$0]!)" }.joined(separator: ", ")
    }

    /// Settings as rows record them; text that is not "k=v;k=v" counts as no settings (the table
    /// then labels the variant by what it has).
    static func parse(_ settings: String) -> SettingsText {
        (try? SettingsText(canonical: settings)) ?? SettingsText()
    }
}

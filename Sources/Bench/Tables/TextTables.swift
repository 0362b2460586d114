import Foundation
import Methods

/// The tables of the text tasks, built from result rows alone.
enum TextTables {
    /// Methods × models: mean accuracy (percent) over the tasks done, with their count, and the
    /// papers' published numbers beside them.
    static func main(_ cells: [AccuracyCell], taskCount: Int) -> ResultTable {
        let models = orderedModels(cells)
        let perModel = Dictionary(grouping: cells, by: \.model).mapValues(TaskAccuracies.init)
        var variants = Set(perModel.values.flatMap(\.variants))
        let publishedOurs = PublishedResults.columns.flatMap(\.accuracy.keys).compactMap { method -> MethodName? in
            if case .ours(let name) = method { return name }
            return nil
        }
        variants.formUnion(publishedOurs.filter { name in !variants.contains { $0.method == name } }.map { MethodVariant(method: $0, settingsHash: nil) })

        let header = ["method"] + models.map { "\($0) (tasks)" } + PublishedResults.columns.map(\.label)
        var rows = variants.sorted().map { variant -> [String] in
            var row = [variant.label]
            for model in models {
                if let mean = perModel[model]?.mean(variant) {
                    row.append(String(format: "%.2f (%d/%d)", 100 * mean.accuracy, mean.tasks, taskCount))
                } else {
                    row.append("—")
                }
            }
            for column in PublishedResults.columns {
                row.append(variant.settingsHash == nil ? column.accuracy[.ours(variant.method)].map { String(format: "%.2f", $0) } ?? "—" : "—")
            }
            return row
        }
        for name in PublishedResults.notRun {
            rows.append([name] + models.map { _ in "—" }
                + PublishedResults.columns.map { column in column.accuracy[.notRun(name)].map { String(format: "%.2f", $0) } ?? "—" })
        }
        var notes = ["Mean exact-match accuracy (%) over the tasks done; in parentheses, tasks done of \(taskCount)."]
        notes += capNotes(cells)
        notes.append("Published column: the SITE paper's Table 1 (Llama-3.1-8B, all test items); I2CL and LoRA are not run here.")
        return ResultTable(title: "Main table: methods × models", header: header, rows: rows, notes: notes)
    }

    /// Methods × models like `main`, but each model's means over only the tasks that every one of
    /// its methods finished, so that the methods of a partial sweep compare on equal ground.
    static func commonTasks(_ cells: [AccuracyCell], taskCount: Int) -> ResultTable {
        let models = orderedModels(cells)
        let perModel = Dictionary(grouping: cells, by: \.model).mapValues(TaskAccuracies.init)
        let variants = Set(perModel.values.flatMap(\.variants)).sorted()
        var common = [String: Set<String>]()
        for (model, accuracies) in perModel {
            common[model] = accuracies.byVariant.values.map { Set($0.keys) }.reduce(nil) { partial, tasks in
                partial.map { $0.intersection(tasks) } ?? tasks
            } ?? []
        }
        let header = ["method"] + models.map { "\($0) (\(common[$0]?.count ?? 0) tasks)" }
        let rows = variants.map { variant -> [String] in
            [variant.label] + models.map { model in
                guard let tasks = perModel[model]?.byVariant[variant], let shared = common[model], !shared.isEmpty else { return "—" }
                return String(format: "%.2f", 100 * shared.sorted().reduce(0) { $0 + tasks[$1]!.accuracy } / Double(shared.count))
            }
        }
        let notes = ["Mean exact-match accuracy (%) over the tasks that every method of the model finished (count in the header)."]
            + capNotes(cells)
        return ResultTable(title: "Methods × models on the tasks every method finished", header: header, rows: rows, notes: notes)
    }

    /// Tasks × methods of one model: accuracy (percent) and test items.
    static func perTask(_ cells: [AccuracyCell], model: String) -> ResultTable {
        let mine = cells.filter { $0.model == model }
        let accuracies = TaskAccuracies(mine)
        let variants = accuracies.variants
        let tasks = Set(mine.map(\.task)).sorted()
        let header = ["task"] + variants.map(\.label) + ["test items"]
        var rows = tasks.map { task -> [String] in
            var items = 0
            var row = [task]
            for variant in variants {
                if let cell = accuracies.byVariant[variant]?[task] {
                    row.append(String(format: "%.1f", 100 * cell.accuracy))
                    items = max(items, cell.items)
                } else {
                    row.append("—")
                }
            }
            return row + ["\(items)"]
        }
        rows.append(["mean"] + variants.map { variant in
            accuracies.mean(variant).map { String(format: "%.1f (%d)", 100 * $0.accuracy, $0.tasks) } ?? "—"
        } + [""])
        return ResultTable(title: "Per-task accuracy (%): \(model)", header: header, rows: rows,
                           notes: ["Exact-match accuracy (%) per task, mean over seeds; last row: mean over the tasks done (count)."] + capNotes(mine))
    }

    /// Models in first-appearance order, so tables follow the order the sweep ran them in.
    static func orderedModels(_ cells: [AccuracyCell]) -> [String] {
        var seen = Set<String>()
        return cells.map(\.model).filter { seen.insert($0).inserted }
    }

    /// Says, never silently, where test items were capped.
    static func capNotes(_ cells: [AccuracyCell]) -> [String] {
        let caps = Set(cells.compactMap(\.maxItems))
        guard !caps.isEmpty else { return [] }
        let capped = Set(cells.filter { cell in cell.maxItems.map { cell.items >= $0 } ?? false }.map(\.task)).count
        return ["Test items capped at \(caps.sorted().map(String.init).joined(separator: ", ")) per task (the first items of each test split): \(capped) task(s) reached the cap."]
    }
}

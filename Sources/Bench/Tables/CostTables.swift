import Foundation

/// Where a sweep's time goes, from the result rows alone: per model and method, the measured
/// preparation and test cost, the hours spent, and the hours the same method would take on every
/// task at the same cap. This is how a partial sweep says what it cut and why.
enum CostTables {
    static func table(_ rows: [ResultRow], taskCount: Int) -> ResultTable {
        let header = ["model", "method", "tasks", "prep s/task", "test s/item", "prompt tok/item", "peak MiB",
                      "hours spent", "hours for \(taskCount) tasks", "CPU hours (cells)"]
        let cells = rows.map(\.accuracyCell)
        var out = [[String]]()
        for model in TextTables.orderedModels(cells) {
            let mine = rows.filter { $0.model == model }
            let variants = MethodVariant.variants(of: mine.map(\.accuracyCell))
            let groups = Dictionary(grouping: zip(mine, variants), by: \.1).mapValues { $0.map(\.0) }
            var spent = 0.0, projected = 0.0, cpu = 0.0, cpuCells = 0
            for variant in groups.keys.sorted() {
                let cost = MethodCost(groups[variant]!)
                spent += cost.secondsSpent
                projected += cost.secondsPerTask * Double(taskCount)
                cpu += cost.cpuSeconds
                cpuCells += cost.cpuCells
                out.append([model, variant.label, "\(cost.tasks)",
                            cost.prepSecondsPerTask.map { String(format: "%.1f", $0) } ?? "cached",
                            String(format: "%.3f", cost.testSecondsPerItem),
                            String(format: "%.0f", cost.promptTokensPerItem),
                            String(format: "%.0f", cost.peakMemoryMiB),
                            String(format: "%.2f", cost.secondsSpent / 3600),
                            String(format: "%.2f", cost.secondsPerTask * Double(taskCount) / 3600),
                            Self.cpuHours(cost.cpuSeconds, cells: cost.cpuCells)])
            }
            out.append([model, "all methods", "", "", "", "", "", String(format: "%.2f", spent / 3600),
                        String(format: "%.2f", projected / 3600), Self.cpuHours(cpu, cells: cpuCells)])
        }
        let notes = [
            "Seconds are wall time as the rows recorded them (machine, threads and load as they were then).",
            "prep s/task: mean over the cells that prepared (\"cached\": every cell reused a stored artifact); jointly trained methods record each task's share of the group.",
            "prompt tok/item: the prompt tokens each test item cost the cell; where methods share one prefill of the same prompts (zero-shot, FV, TV, LTV and SITE run together), each counts its own last tokens plus an equal share of it, so a method run alone counts the whole prompt.",
            "hours for \(taskCount) tasks: (prep s/task + test s/item × items per task) × \(taskCount), at the same cap, one seed; what the sweep would take to finish every task if the tasks not done cost the mean of those done (where the largest are left, as in a sweep run smallest first, less than it will take).",
            "CPU hours (cells): the process's CPU seconds (all threads) for preparation and test pass, summed over the cells that recorded them (rows stored by earlier versions have none), with their count: the work itself, whatever the load.",
        ] + TextTables.capNotes(cells)
        return ResultTable(title: "Where the time goes", header: header, rows: out, notes: notes)
    }

    /// "1.23 (12)", or "–" when no cell recorded CPU seconds.
    static func cpuHours(_ seconds: Double, cells: Int) -> String {
        cells == 0 ? "–" : String(format: "%.2f (%d)", seconds / 3600, cells)
    }
}

/// The measured cost of one method on one model, over the rows (cells) it finished.
struct MethodCost {
    var tasks: Int
    var secondsSpent: Double
    /// nil when every cell reused a cached artifact, so no preparation was timed.
    var prepSecondsPerTask: Double?
    var testSecondsPerItem: Double
    var promptTokensPerItem: Double
    var peakMemoryMiB: Double
    /// Preparation (where timed) plus testing, per (task, seed) cell.
    var secondsPerTask: Double
    /// CPU seconds of preparation and test pass over the `cpuCells` rows that recorded both.
    var cpuSeconds: Double
    var cpuCells: Int

    init(_ rows: [ResultRow]) {
        let prepared = rows.filter { !$0.preparedFromCache }
        let items = max(1, rows.reduce(0) { $0 + $1.items })
        let testSeconds = rows.reduce(0) { $0 + $1.testSeconds }
        tasks = Set(rows.map(\.task)).count
        secondsSpent = rows.reduce(0) { $0 + $1.preparationSeconds } + testSeconds
        prepSecondsPerTask = prepared.isEmpty ? nil : prepared.reduce(0) { $0 + $1.preparationSeconds } / Double(prepared.count)
        testSecondsPerItem = testSeconds / Double(items)
        promptTokensPerItem = Double(rows.reduce(0) { $0 + $1.testPromptTokens }) / Double(items)
        peakMemoryMiB = rows.map(\.peakMemoryMiB).max() ?? 0
        secondsPerTask = (prepSecondsPerTask ?? 0) + testSeconds / Double(max(1, rows.count))
        let timed = rows.compactMap { row in row.preparationCPUSeconds.flatMap { prep in row.testCPUSeconds.map { prep + $0 } } }
        cpuSeconds = timed.reduce(0, +)
        cpuCells = timed.count
    }
}

import Foundation
import Methods

/// Two folders of result rows side by side (`bench compare`): the same cells run two ways (another
/// compute precision, backend, code version or machine), from the rows alone.
enum ComparisonTables {
    /// What makes a row of one folder the same cell as a row of the other: everything but the
    /// settings, since the settings (precision, backend) are what a comparison sets apart.
    struct CellKey: Hashable, Comparable {
        /// The table's group of the cell: everything but the task and the seed.
        var group: Group
        var task: String
        var seed: UInt64

        init(_ r: RunRecord) {
            group = Group(model: r.model, method: r.method, scoring: r.scoring, maxItems: r.maxItems)
            (task, seed) = (r.task, r.seed)
        }

        static func < (a: CellKey, b: CellKey) -> Bool {
            if a.group != b.group { return a.group < b.group }
            return (a.task, a.seed) < (b.task, b.seed)
        }
    }

    /// One row of the summary: a model's method under one scoring and item cap.
    struct Group: Hashable, Comparable {
        var model: String
        var method: MethodName
        var scoring: ScoringMode
        var maxItems: Int?

        static func < (a: Group, b: Group) -> Bool {
            if a.model != b.model { return a.model < b.model }
            if a.method != b.method { return a.method < b.method }
            if a.scoring != b.scoring { return a.scoring.rawValue < b.scoring.rawValue }
            return (a.maxItems ?? .max) < (b.maxItems ?? .max)
        }

        var cap: String { maxItems.map(String.init) ?? "all" }
    }

    /// A cell both folders hold: the baseline's row and the other's.
    struct MatchedCell: Equatable {
        var key: CellKey
        var baseline: RunRecord
        var other: RunRecord
    }

    /// The cells both folders hold, and why the others were left out.
    struct Matching: Equatable {
        /// In key order.
        var matched: [MatchedCell] = []
        /// Cells in one folder only.
        var baselineOnly = 0, otherOnly = 0
        /// Cells a folder holds under several settings (which one to compare is not the rows' to say).
        var ambiguous = 0
        /// Cells whose two rows scored different numbers of items (another data version or cap).
        var itemsDiffer = 0
    }

    static func match(baseline: [RunRecord], other: [RunRecord]) -> Matching {
        let a = Dictionary(grouping: baseline, by: CellKey.init), b = Dictionary(grouping: other, by: CellKey.init)
        var m = Matching()
        for key in Set(a.keys).union(b.keys).sorted() {
            guard let x = a[key] else { m.otherOnly += 1; continue }
            guard let y = b[key] else { m.baselineOnly += 1; continue }
            guard x.count == 1, y.count == 1 else { m.ambiguous += 1; continue }
            guard x[0].items == y[0].items else { m.itemsDiffer += 1; continue }
            m.matched.append(MatchedCell(key: key, baseline: x[0], other: y[0]))
        }
        return m
    }

    /// Per model, method, scoring and cap: the mean accuracy of each folder over the cells both
    /// hold, the difference in points, how many cells differ in their correct count, the largest
    /// difference of one cell.
    /// - Throws: `ComparisonError.nothingInCommon` when no cell matches.
    static func summary(_ m: Matching, baseline: String, other: String) throws -> ResultTable {
        guard !m.matched.isEmpty else {
            throw ComparisonError.nothingInCommon(baseline: baseline, other: other, baselineOnly: m.baselineOnly,
                                                  otherOnly: m.otherOnly, ambiguous: m.ambiguous, itemsDiffer: m.itemsDiffer)
        }
        let groups = Dictionary(grouping: m.matched, by: \.key.group)
        let rows = groups.keys.sorted().map { group -> [String] in
            let cells = groups[group]!
            let n = Double(cells.count)
            let a = cells.reduce(0) { $0 + $1.baseline.accuracy } / n, b = cells.reduce(0) { $0 + $1.other.accuracy } / n
            let differing = cells.filter { $0.baseline.correct != $0.other.correct }.count
            let largest = cells.map { abs($0.other.accuracy - $0.baseline.accuracy) }.max() ?? 0
            return [group.model, group.method.tableName, group.scoring.rawValue, group.cap, "\(cells.count)",
                    String(format: "%.2f", 100 * a), String(format: "%.2f", 100 * b), String(format: "%+.2f", 100 * (b - a)),
                    "\(differing)", String(format: "%.2f", 100 * largest)]
        }
        var notes = [
            "baseline: \(baseline); other: \(other). A cell (model, task, method, seed, scoring, item cap) counts when both folders hold "
                + "it once, over the same number of test items; the settings may differ, since they are what is compared.",
            "cells: (task, seed) pairs; accuracies are their means (%); other − baseline in points; differing: cells whose correct "
                + "count differs; largest: the largest difference of one cell, in points.",
        ]
        let left = [(m.baselineOnly, "in the baseline only"), (m.otherOnly, "in the other only"),
                    (m.ambiguous, "under several settings in one folder"), (m.itemsDiffer, "over different numbers of items")]
            .filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
        if !left.isEmpty { notes.append("Cells left out: " + left.joined(separator: ", ") + ".") }
        return ResultTable(
            title: "\(other) against \(baseline)",
            header: ["model", "method", "scoring", "cap", "cells", "baseline %", "other %", "other − baseline", "differing", "largest"],
            rows: rows, notes: notes)
    }

    /// The cells whose correct counts differ, one row each.
    static func differingCells(_ m: Matching, baseline: String, other: String) -> ResultTable {
        let rows = m.matched.filter { $0.baseline.correct != $0.other.correct }.map { cell -> [String] in
            let k = cell.key, g = k.group
            return [g.model, k.task, g.method.tableName, "\(k.seed)", g.scoring.rawValue, g.cap,
                    "\(cell.baseline.correct)/\(cell.baseline.items)", "\(cell.other.correct)/\(cell.other.items)",
                    String(format: "%+.2f", 100 * (cell.other.accuracy - cell.baseline.accuracy))]
        }
        return ResultTable(
            title: "Cells that differ: \(other) against \(baseline)",
            header: ["model", "task", "method", "seed", "scoring", "cap", "baseline correct", "other correct", "other − baseline"],
            rows: rows, notes: ["baseline: \(baseline); other: \(other); differences in points."])
    }
}

/// Why `bench compare` has no table to show.
enum ComparisonError: Error, CustomStringConvertible, Equatable {
    case nothingInCommon(baseline: String, other: String, baselineOnly: Int, otherOnly: Int, ambiguous: Int, itemsDiffer: Int)

    var description: String {
        switch self {
        case let .nothingInCommon(baseline, other, baselineOnly, otherOnly, ambiguous, itemsDiffer):
            return "\(baseline) and \(other) hold no cell in common (same model, task, method, seed, scoring and item cap, "
                + "once in each, over the same items): \(baselineOnly) in the baseline only, \(otherOnly) in the other only, "
                + "\(ambiguous) under several settings, \(itemsDiffer) over different numbers of items"
        }
    }
}

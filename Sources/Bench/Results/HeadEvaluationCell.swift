import Foundation
import Methods

/// One evaluation of `bench heads` (cross-task injection or patching, `HeadExperiment`) on one
/// task's test items: a row of `results/heads/<model>/cells.csv`, so a stopped analysis resumes
/// and a rerun over more tasks evaluates only what is new. The cross-task and patching tables
/// are made from these rows.
struct HeadEvaluationCell: Codable, Equatable, Sendable, CSVRow {
    /// The task whose test items are answered and whose α (or heads) is used.
    var task: String
    var experiment: HeadExperiment
    var scoring: ScoringMode
    /// The test-item cap; nil for every item.
    var maxItems: Int?
    /// The settings hash of the SITE artifacts analysed (`SettingsText.hash`): another
    /// precision, seed or backend is another cell.
    var settingsHash: String
    var items: Int
    var correct: Int
    /// Wall seconds of the evaluation (its share of a prefill it shared with the task's other cells).
    var seconds: Double
    var codeVersion: String
    var finishedAt: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case task, experiment, scoring
        case maxItems = "max_items"
        case settingsHash = "settings_hash"
        case items, correct, seconds
        case codeVersion = "code_version"
        case finishedAt = "finished_at"
    }

    static let header = CodingKeys.allCases.map(\.rawValue)

    /// What names a cell: everything that changes its numbers.
    struct Key: Hashable {
        var task: String
        var experiment: HeadExperiment
        var scoring: ScoringMode
        var maxItems: Int?
        var settingsHash: String
    }

    var key: Key { Key(task: task, experiment: experiment, scoring: scoring, maxItems: maxItems, settingsHash: settingsHash) }
    var accuracy: Double { items == 0 ? 0 : Double(correct) / Double(items) }
}

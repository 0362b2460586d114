import Foundation
import Methods

extension ResultRow {
    /// The row of a finished sweep record.
    init(_ record: RunRecord, codeVersion: String, dataVersion: String, peakMemoryMiB: Double, finishedAt: String) {
        self.init(
            model: record.model, task: record.task, method: record.method, seed: record.seed, settingsHash: record.settingsHash,
            settings: record.settings, scoring: record.scoring.rawValue, shots: record.shots, maxItems: record.maxItems,
            accuracy: record.accuracy, correct: record.correct, items: record.items, prepSeconds: record.preparationSeconds,
            prepTokens: record.preparationTokens, prepCached: record.preparedFromCache, testSeconds: record.testSeconds,
            testPromptTokens: record.testPromptTokens, peakMemoryMiB: peakMemoryMiB, codeVersion: codeVersion,
            dataVersion: dataVersion, finishedAt: finishedAt)
    }
}

extension ResultRow.Key {
    init(_ cell: SweepCell) {
        self.init(model: cell.model, task: cell.task, method: cell.method, seed: cell.seed, settingsHash: cell.settingsHash)
    }
}

import Foundation
import Methods

/// One regression steering result: a row of results/regression/steering.csv; its coding keys are
/// the file's columns, in order.
struct RegressionResultRow: Codable, Equatable, Sendable, CSVRow {
    var checkpoint: String
    /// The function class, e.g. "linear".
    var function: String
    var dims: Int
    /// transformer, fv, ltv or site.
    var method: String
    /// The distribution shift's name (in-distribution, longer-prompts, noisy-y, ...).
    var condition: String
    var inContextExamples: Int
    var squaredErrorPerDim: Double
    var prompts: Int
    var seed: UInt64
    var settingsHash: String
    var settings: String
    var prepSeconds: Double
    var codeVersion: String
    var finishedAt: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case checkpoint, function, dims, method, condition
        case inContextExamples = "in_context_examples"
        case squaredErrorPerDim = "squared_error_per_dim"
        case prompts, seed
        case settingsHash = "settings_hash"
        case settings
        case prepSeconds = "prep_seconds"
        case codeVersion = "code_version"
        case finishedAt = "finished_at"
    }

    static let header = CodingKeys.allCases.map(\.stringValue)

    struct Key: Hashable, Sendable {
        var checkpoint: String
        var function: String
        var method: String
        var condition: String
        var inContextExamples: Int
        var seed: UInt64
        var settingsHash: String
    }

    var key: Key {
        Key(checkpoint: checkpoint, function: function, method: method, condition: condition,
            inContextExamples: inContextExamples, seed: seed, settingsHash: settingsHash)
    }
}

extension RegressionResultRow {
    /// The stored form of a steering benchmark row.
    init(_ row: RegressionSteeringRow, codeVersion: String, finishedAt: String) {
        self.init(
            checkpoint: row.checkpoint, function: row.function, dims: row.dimensions, method: row.method, condition: row.condition,
            inContextExamples: row.inContextExamples, squaredErrorPerDim: row.squaredErrorPerDimension, prompts: row.prompts,
            seed: row.seed, settingsHash: row.settingsHash, settings: row.settings, prepSeconds: row.prepSeconds,
            codeVersion: codeVersion, finishedAt: finishedAt)
    }
}

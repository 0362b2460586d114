import Foundation
import Methods

/// One regression steering result: a row of results/regression/steering.csv.
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

    static let header = [
        "checkpoint", "function", "dims", "method", "condition", "in_context_examples", "squared_error_per_dim", "prompts", "seed",
        "settings_hash", "settings", "prep_seconds", "code_version", "finished_at",
    ]

    var csvFields: [String] {
        [
            checkpoint, function, "\(dims)", method, condition, "\(inContextExamples)", CSV.number(squaredErrorPerDim), "\(prompts)",
            "\(seed)", settingsHash, settings, CSV.number(prepSeconds), codeVersion, finishedAt,
        ]
    }

    init(
        checkpoint: String, function: String, dims: Int, method: String, condition: String, inContextExamples: Int,
        squaredErrorPerDim: Double, prompts: Int, seed: UInt64, settingsHash: String, settings: String, prepSeconds: Double,
        codeVersion: String, finishedAt: String
    ) {
        self.checkpoint = checkpoint
        self.function = function
        self.dims = dims
        self.method = method
        self.condition = condition
        self.inContextExamples = inContextExamples
        self.squaredErrorPerDim = squaredErrorPerDim
        self.prompts = prompts
        self.seed = seed
        self.settingsHash = settingsHash
        self.settings = settings
        self.prepSeconds = prepSeconds
        self.codeVersion = codeVersion
        self.finishedAt = finishedAt
    }

    init(csvFields fields: [String], file: String, line: Int) throws {
        let r = try CSVFieldReader(fields: fields, header: Self.header, file: file, line: line)
        self.init(
            checkpoint: r.string(0), function: r.string(1), dims: try r.int(2), method: r.string(3), condition: r.string(4),
            inContextExamples: try r.int(5), squaredErrorPerDim: try r.double(6), prompts: try r.int(7), seed: try r.uint64(8),
            settingsHash: r.string(9), settings: r.string(10), prepSeconds: try r.double(11), codeVersion: r.string(12),
            finishedAt: r.string(13))
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

import Foundation
import Methods

/// One point of the per-prompt protocol's curves: a row of results/regression/per-prompt/steering.csv.
/// The error is the RAW squared error (ŷ − y)² at the query (the LTV paper's metric), not / d.
struct PromptSteeringResultRow: Equatable, Sendable, CSVRow {
    var checkpoint: String
    var function: String
    var dims: Int
    /// transformer, fv, ltv, site, least-squares, 3-nearest-neighbours or averaging.
    var method: String
    var condition: String
    var inContextExamples: Int
    var squaredError: Double
    var prompts: Int
    var seed: UInt64
    var settingsHash: String
    var settings: String
    var prepSeconds: Double
    var codeVersion: String
    var finishedAt: String

    static let header = [
        "checkpoint", "function", "dims", "method", "condition", "in_context_examples", "squared_error", "prompts", "seed",
        "settings_hash", "settings", "prep_seconds", "code_version", "finished_at",
    ]

    var csvFields: [String] {
        [
            checkpoint, function, "\(dims)", method, condition, "\(inContextExamples)", CSV.number(squaredError), "\(prompts)",
            "\(seed)", settingsHash, settings, CSV.number(prepSeconds), codeVersion, finishedAt,
        ]
    }

    init(
        checkpoint: String, function: String, dims: Int, method: String, condition: String, inContextExamples: Int, squaredError: Double,
        prompts: Int, seed: UInt64, settingsHash: String, settings: String, prepSeconds: Double, codeVersion: String, finishedAt: String
    ) {
        self.checkpoint = checkpoint
        self.function = function
        self.dims = dims
        self.method = method
        self.condition = condition
        self.inContextExamples = inContextExamples
        self.squaredError = squaredError
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
            inContextExamples: try r.int(5), squaredError: try r.double(6), prompts: try r.int(7), seed: try r.uint64(8),
            settingsHash: r.string(9), settings: r.string(10), prepSeconds: try r.double(11), codeVersion: r.string(12),
            finishedAt: r.string(13))
    }
}

/// eval.csv of `bench regression eval`: one estimator's squared error / d at k examples.
extension RegressionEvaluationRow: CSVRow {
    static let header = ["condition", "estimator", "in_context_examples", "squared_error_per_dim", "prompts"]

    var csvFields: [String] {
        [condition, estimator, "\(inContextExamples)", CSV.number(squaredErrorPerDimension), "\(prompts)"]
    }

    init(csvFields fields: [String], file: String, line: Int) throws {
        let r = try CSVFieldReader(fields: fields, header: Self.header, file: file, line: line)
        self.init(condition: r.string(0), estimator: r.string(1), inContextExamples: try r.int(2),
                  squaredErrorPerDimension: try r.double(3), prompts: try r.int(4))
    }
}

/// curve.csv of `bench regression train`: the mean loss of the steps ending at `step`.
extension RegressionTrainingRecord: CSVRow {
    static let header = ["step", "loss", "steps_per_second", "dimensions", "points"]

    var csvFields: [String] {
        ["\(step)", CSV.number(loss), String(format: "%.3f", stepsPerSecond), "\(dimensions)", "\(points)"]
    }

    init(csvFields fields: [String], file: String, line: Int) throws {
        let r = try CSVFieldReader(fields: fields, header: Self.header, file: file, line: line)
        self.init(step: try r.int(0), loss: try r.double(1), stepsPerSecond: try r.double(2), dimensions: try r.int(3), points: try r.int(4))
    }
}

/// A training curve kept in a CSV file through the result store.
struct CSVCurveStore: RegressionCurveStore {
    private(set) var store: CSVStore<RegressionTrainingRecord>

    /// - Throws: `ResultStoreError` for an unreadable or malformed file.
    init(url: URL) throws { store = try CSVStore(url: url) }

    func records() -> [RegressionTrainingRecord] { store.rows }

    mutating func replace(with records: [RegressionTrainingRecord]) throws { try store.replaceAll(with: records) }
}

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

    static let header = CodingKeys.allCases.map(\.rawValue)

    enum CodingKeys: String, CodingKey, CaseIterable {
        case checkpoint, function, dims, method, condition
        case inContextExamples = "in_context_examples"
        case squaredError = "squared_error"
        case prompts, seed
        case settingsHash = "settings_hash"
        case settings
        case prepSeconds = "prep_seconds"
        case codeVersion = "code_version"
        case finishedAt = "finished_at"
    }
}

/// eval.csv of `bench regression eval`: one estimator's squared error / d at k examples.
extension RegressionEvaluationRow: CSVRow {
    public static let header = ["condition", "estimator", "in_context_examples", "squared_error_per_dim", "prompts"]
}

/// curve.csv of `bench regression train`: the mean loss of the steps ending at `step`.
extension RegressionTrainingRecord: CSVRow {
    public static let header = ["step", "loss", "steps_per_second", "dimensions", "points"]
}

/// A training curve kept in a CSV file through the result store.
struct CSVCurveStore: RegressionCurveStore {
    private(set) var store: CSVStore<RegressionTrainingRecord>

    /// - Throws: `ResultStoreError` for an unreadable file, `CSVError` for a malformed one.
    init(url: URL) throws { store = try CSVStore(url: url) }

    func records() -> [RegressionTrainingRecord] { store.rows }

    mutating func replace(with records: [RegressionTrainingRecord]) throws { try store.replaceAll(with: records) }
}

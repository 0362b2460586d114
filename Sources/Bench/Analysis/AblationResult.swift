import Foundation
import Methods

/// One row of results/ablations/<model>.csv in the results schema (context: "Results CSV
/// schema"). Interim writer until the shared result store lands: it appends, writes the header
/// to a new file, and leaves peak memory, code and data versions unknown.
struct AblationResult {
    var model: String
    var task: String
    var method: String
    var seed: UInt64
    var settingsHash: String
    /// The method's settings (the seed is added, as in the settings hash).
    var settings: [String: String]
    var scoring: ScoringMode
    var shots: Int
    var maxItems: Int?
    var accuracy: Double
    var items: Int
    var preparationSeconds: Double
    var preparationTokens: Int
    var preparedFromCache: Bool
    var testSeconds: Double
    var testPromptTokens: Int
    var finishedAt = Date()

    static let header = ["model", "task", "method", "seed", "settings_hash", "settings", "scoring", "shots", "max_items",
                         "accuracy", "correct", "items", "prep_seconds", "prep_tokens", "prep_cached", "test_seconds",
                         "test_prompt_tokens", "peak_memory_mib", "code_version", "data_version", "finished_at"]

    var fields: [String] {
        var s = settings
        s["seed"] = "\(seed)"
        let formatter = ISO8601DateFormatter()
        return [model, task, method, "\(seed)", settingsHash, canonicalSettings(s),
                scoring.rawValue, "\(shots)", maxItems.map { "\($0)" } ?? "", String(format: "%.6f", accuracy),
                "\(Int((accuracy * Double(items)).rounded()))", "\(items)",
                String(format: "%.3f", preparationSeconds), "\(preparationTokens)", "\(preparedFromCache)",
                String(format: "%.3f", testSeconds), "\(testPromptTokens)", "", "unknown", "unknown",
                formatter.string(from: finishedAt)]
    }

    init(model: String, task: String, method: String, seed: UInt64, settingsHash: String, settings: [String: String],
         scoring: ScoringMode, shots: Int, maxItems: Int?, accuracy: Double, items: Int, preparationSeconds: Double,
         preparationTokens: Int, preparedFromCache: Bool, testSeconds: Double, testPromptTokens: Int, finishedAt: Date = Date()) {
        self.model = model
        self.task = task
        self.method = method
        self.seed = seed
        self.settingsHash = settingsHash
        self.settings = settings
        self.scoring = scoring
        self.shots = shots
        self.maxItems = maxItems
        self.accuracy = accuracy
        self.items = items
        self.preparationSeconds = preparationSeconds
        self.preparationTokens = preparationTokens
        self.preparedFromCache = preparedFromCache
        self.testSeconds = testSeconds
        self.testPromptTokens = testPromptTokens
        self.finishedAt = finishedAt
    }

    init(record: RunRecord, settings: [String: String], shots: Int, maxItems: Int?) {
        self.init(model: record.model, task: record.task, method: record.method, seed: record.seed, settingsHash: record.settingsHash,
                  settings: settings, scoring: record.scoring, shots: shots, maxItems: maxItems, accuracy: record.accuracy,
                  items: record.items, preparationSeconds: record.preparationSeconds, preparationTokens: record.preparationTokens,
                  preparedFromCache: record.preparedFromCache, testSeconds: record.testSeconds, testPromptTokens: record.testPromptTokens)
    }

    /// One RFC 4180 record: a field is quoted when it holds a comma, quote, CR or LF.
    static func line(_ fields: [String]) -> String {
        fields.map { field in
            field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }.joined(separator: ",") + "\n"
    }

    /// Appends `rows` to `file`, creating it (and its folder) with the header when absent.
    static func append(_ rows: [AblationResult], to file: URL) throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: file.path) {
            try Data(line(header).utf8).write(to: file)
        }
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(rows.map { line($0.fields) }.joined().utf8))
    }
}

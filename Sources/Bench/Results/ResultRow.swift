import Foundation

/// One text-task result: a row of results/runs/<model>.csv. Columns and their order are the
/// file's schema; `key` names the cell the store keeps one row for.
struct ResultRow: Codable, Equatable, Sendable, CSVRow {
    var model: String
    var task: String
    /// The method's short name, e.g. "zero-shot", "icl-10", "site".
    var method: String
    var seed: UInt64
    /// First 12 hex digits of the SHA-256 of `settings` plus the seed.
    var settingsHash: String
    /// Canonical "k=v;k=v" rendering of the method settings.
    var settings: String
    var scoring: String
    var shots: Int
    /// The test-item cap, nil for all items (an empty field).
    var maxItems: Int?
    var accuracy: Double
    var correct: Int
    var items: Int
    var prepSeconds: Double
    var prepTokens: Int
    var prepCached: Bool
    var testSeconds: Double
    var testPromptTokens: Int
    /// The process's peak resident memory (VmHWM) when the row was written.
    var peakMemoryMiB: Double
    /// `git describe --always --dirty`, or "unknown".
    var codeVersion: String
    /// First 12 hex digits of the task's test-file SHA-256 (datasets/manifest.json).
    var dataVersion: String
    /// ISO 8601, UTC.
    var finishedAt: String

    /// The cell a row stands for; a store holds at most one row per key.
    struct Key: Hashable, Sendable {
        var model: String
        var task: String
        var method: String
        var seed: UInt64
        var settingsHash: String
    }

    var key: Key { Key(model: model, task: task, method: method, seed: seed, settingsHash: settingsHash) }

    static let header = [
        "model", "task", "method", "seed", "settings_hash", "settings", "scoring", "shots", "max_items", "accuracy", "correct", "items",
        "prep_seconds", "prep_tokens", "prep_cached", "test_seconds", "test_prompt_tokens", "peak_memory_mib", "code_version",
        "data_version", "finished_at",
    ]

    /// Columns that differ between two runs of the same cell (timings, memory, clock).
    static let volatileColumns: Set<String> = ["prep_seconds", "test_seconds", "peak_memory_mib", "finished_at"]

    var csvFields: [String] {
        [
            model, task, method, "\(seed)", settingsHash, settings, scoring, "\(shots)", maxItems.map { "\($0)" } ?? "",
            CSV.number(accuracy), "\(correct)", "\(items)", CSV.number(prepSeconds), "\(prepTokens)", "\(prepCached)",
            CSV.number(testSeconds), "\(testPromptTokens)", CSV.number(peakMemoryMiB), codeVersion, dataVersion, finishedAt,
        ]
    }

    init(
        model: String, task: String, method: String, seed: UInt64, settingsHash: String, settings: String, scoring: String,
        shots: Int, maxItems: Int?, accuracy: Double, correct: Int, items: Int, prepSeconds: Double, prepTokens: Int,
        prepCached: Bool, testSeconds: Double, testPromptTokens: Int, peakMemoryMiB: Double, codeVersion: String,
        dataVersion: String, finishedAt: String
    ) {
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
        self.correct = correct
        self.items = items
        self.prepSeconds = prepSeconds
        self.prepTokens = prepTokens
        self.prepCached = prepCached
        self.testSeconds = testSeconds
        self.testPromptTokens = testPromptTokens
        self.peakMemoryMiB = peakMemoryMiB
        self.codeVersion = codeVersion
        self.dataVersion = dataVersion
        self.finishedAt = finishedAt
    }

    init(csvFields fields: [String], file: String, line: Int) throws {
        let r = try CSVFieldReader(fields: fields, header: Self.header, file: file, line: line)
        self.init(
            model: r.string(0), task: r.string(1), method: r.string(2), seed: try r.uint64(3), settingsHash: r.string(4),
            settings: r.string(5), scoring: r.string(6), shots: try r.int(7), maxItems: try r.optionalInt(8),
            accuracy: try r.double(9), correct: try r.int(10), items: try r.int(11), prepSeconds: try r.double(12),
            prepTokens: try r.int(13), prepCached: try r.bool(14), testSeconds: try r.double(15),
            testPromptTokens: try r.int(16), peakMemoryMiB: try r.double(17), codeVersion: r.string(18),
            dataVersion: r.string(19), finishedAt: r.string(20))
    }
}

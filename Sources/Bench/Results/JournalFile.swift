import Foundation
import Methods

/// A cell's finished test parts while it runs: <results>/partial/<model>/<task>/<method>-seed<S>-
/// <settings hash>.csv, a row per answered item. A `bench run` killed in the middle of a large
/// cell (10-shot ICL on squad_val takes hours on two cores) resumes from its last finished part;
/// the file goes once the cell's row is stored.
struct JournalFile: EvaluationJournal {
    let url: URL

    /// The journal at `url`.
    init(url: URL) {
        self.url = url
    }

    /// The journal of the cell `key` names under `resultsDirectory` (results/runs).
    init(_ key: ResultRow.Key, resultsDirectory: URL) {
        url = key.file(in: resultsDirectory.appendingPathComponent("partial", isDirectory: true))
    }

    init(cell: SweepCell, resultsDirectory: URL) {
        self.init(ResultRow.Key(cell), resultsDirectory: resultsDirectory)
    }

    var location: String { url.path }

    /// The cell's lock file while a process runs it (`CellClaims`).
    var lockURL: URL { url.deletingPathExtension().appendingPathExtension("lock") }

    /// - Throws: `ResultStoreError` for an unreadable file, `CSVError` for a malformed one.
    func recordedParts() throws -> [EvaluationPart] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        var parts = [EvaluationPart]()
        var current: Int?
        for row in try CSVStore<Row>(url: url).rows {
            if row.part != current {
                current = row.part
                parts.append(EvaluationPart(outcomes: [], seconds: row.partSeconds, cpuSeconds: row.partCPUSeconds, promptTokens: row.partPromptTokens,
                                            passItems: row.passItems))
            }
            parts[parts.count - 1].outcomes.append(ItemOutcome(index: row.index, target: row.target, prediction: row.prediction, correct: row.correct))
        }
        return parts
    }

    /// Appends the part's rows (all or none of them, `CSVStore.append(contentsOf:)`), numbered
    /// after the parts already in the file.
    func record(_ part: EvaluationPart) throws {
        var store = try CSVStore<Row>(url: url)
        try store.update { rows in
            let number = (rows.last?.part ?? -1) + 1
            return rows + part.outcomes.map {
                Row(part: number, index: $0.index, target: $0.target, prediction: $0.prediction, correct: $0.correct,
                    partSeconds: part.seconds, partPromptTokens: part.promptTokens, partCPUSeconds: part.cpuSeconds, passItems: part.passItems)
            }
        }
    }

    /// Deletes the file (its cell's row is stored); a missing file is fine.
    func remove() throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do { try FileManager.default.removeItem(at: url) } catch {
            throw ResultStoreError.io(path: url.path, reason: "cannot delete the finished cell's journal: \(error)")
        }
    }

    /// One answered item; a part's seconds, prompt tokens and pass size repeat on each of its rows.
    struct Row: CSVRow, Equatable {
        var part: Int
        var index: Int
        var target: String
        var prediction: String
        var correct: Bool
        var partSeconds: Double
        var partPromptTokens: Int
        var partCPUSeconds: Double?
        var passItems: Int?

        static let header = CodingKeys.allCases.map(\.rawValue)
        /// Journals written before these were recorded read them as empty.
        static let addedColumns: Set<String> = [CodingKeys.partCPUSeconds.rawValue, CodingKeys.passItems.rawValue]

        enum CodingKeys: String, CodingKey, CaseIterable {
            case part, index, target, prediction, correct
            case partSeconds = "part_seconds"
            case partPromptTokens = "part_prompt_tokens"
            case partCPUSeconds = "part_cpu_seconds"
            case passItems = "pass_items"
        }
    }
}

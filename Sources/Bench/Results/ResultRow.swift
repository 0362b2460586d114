import Foundation
import Methods

/// One text-task result: a row of results/runs/<model>.csv (ablations: results/ablations). Its
/// columns are the sweep's `RunRecord` (model … test_prompt_tokens) followed by the row's
/// `RowProvenance` (peak_memory_mib … finished_at); `key` names the cell the store keeps one row
/// for. The record's fields read through the row (`row.task`, `row.accuracy`).
@dynamicMemberLookup
struct ResultRow: CSVRow, Equatable, Sendable {
    var record: RunRecord
    var provenance: RowProvenance

    init(_ record: RunRecord, provenance: RowProvenance) {
        self.record = record
        self.provenance = provenance
    }

    subscript<T>(dynamicMember path: WritableKeyPath<RunRecord, T>) -> T {
        get { record[keyPath: path] }
        set { record[keyPath: path] = newValue }
    }

    subscript<T>(dynamicMember path: WritableKeyPath<RowProvenance, T>) -> T {
        get { provenance[keyPath: path] }
        set { provenance[keyPath: path] = newValue }
    }

    static let header = RunRecord.CodingKeys.allCases.map(\.stringValue) + RowProvenance.CodingKeys.allCases.map(\.stringValue)

    /// Columns that differ between two runs of the same cell (timings, memory, clock).
    static let volatileColumns: Set<String> = ["prep_seconds", "test_seconds", "prep_cpu_seconds", "test_cpu_seconds", "peak_memory_mib", "finished_at"]

    /// Files stored before the CPU-second columns read them as empty.
    static let addedColumns = RunRecord.addedColumns

    /// Both parts read their own columns of the one record.
    init(from decoder: any Decoder) throws {
        record = try RunRecord(from: decoder)
        provenance = try RowProvenance(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        try record.encode(to: encoder)
        try provenance.encode(to: encoder)
    }

    /// The cell a row stands for; a store holds at most one row per key.
    struct Key: Hashable, Sendable {
        var model: String
        var task: String
        var method: MethodName
        var seed: UInt64
        var settingsHash: String
    }

    var key: Key { Key(model: record.model, task: record.task, method: record.method, seed: record.seed, settingsHash: record.settingsHash) }
}

/// Where and when a result row was made.
struct RowProvenance: Codable, Equatable, Sendable {
    /// The process's peak resident memory (VmHWM) when the row was written.
    var peakMemoryMiB: Double
    /// `git describe --always --dirty`, or "unknown".
    var codeVersion: String
    /// First 12 hex digits of the task's test-file SHA-256 (datasets/manifest.json).
    var dataVersion: String
    /// ISO 8601, UTC.
    var finishedAt: String

    /// The provenance of a row written now by this process.
    static func now(codeVersion: String, dataVersion: String) -> RowProvenance {
        RowProvenance(peakMemoryMiB: RunProvenance.peakMemoryMiB(), codeVersion: codeVersion, dataVersion: dataVersion,
                      finishedAt: RunProvenance.timestamp())
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case peakMemoryMiB = "peak_memory_mib"
        case codeVersion = "code_version"
        case dataVersion = "data_version"
        case finishedAt = "finished_at"
    }
}

extension ResultRow.Key {
    init(_ cell: SweepCell) {
        self.init(model: cell.model, task: cell.task, method: cell.method, seed: cell.seed, settingsHash: cell.settingsHash)
    }

    init(_ record: RunRecord) {
        self.init(model: record.model, task: record.task, method: record.method, seed: record.seed, settingsHash: record.settingsHash)
    }

    /// "<method>-seed<S>-<settings hash>": the name of the cell's own files under <model>/<task>/.
    var fileStem: String { "\(method)-seed\(seed)-\(settingsHash)" }

    /// <folder>/<model>/<task>/<fileStem>.csv: one file per cell (its answers, its journal), so that
    /// cells of other settings or backends, whose hashes differ, sit side by side.
    func file(in folder: URL) -> URL {
        folder.appendingPathComponent(model, isDirectory: true).appendingPathComponent(task, isDirectory: true)
            .appendingPathComponent(fileStem + ".csv")
    }
}

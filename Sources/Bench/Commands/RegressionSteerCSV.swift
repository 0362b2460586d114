import Foundation
import Methods

/// results/regression/steering.csv (the regression schema of the results store), appended to
/// with rows whose key is new. A stand-in until the store helper's `ResultStore` is on main.
struct RegressionSteerCSV {
    static let header = ["checkpoint", "function", "dims", "method", "condition", "in_context_examples",
                         "squared_error_per_dim", "prompts", "seed", "settings_hash", "settings", "prep_seconds",
                         "code_version", "finished_at"]

    /// (checkpoint, function, method, condition, in-context examples, seed, settings hash).
    struct Key: Hashable {
        var checkpoint, function, method, condition: String
        var inContextExamples: Int
        var seed: String
        var settingsHash: String
    }

    let url: URL

    /// The keys already in the file (none when it does not exist).
    /// - Throws: the file system's error for an unreadable file, `RegressionSteerCSVError` for a
    ///   header that is not the schema's or a row of the wrong width.
    func existingKeys() throws -> Set<Key> {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let records = Self.parse(try String(contentsOf: url, encoding: .utf8))
        guard let first = records.first, first == Self.header else {
            throw RegressionSteerCSVError.badHeader(path: url.path, found: records.first?.joined(separator: ",") ?? "")
        }
        var keys = Set<Key>()
        for (i, r) in records.dropFirst().enumerated() {
            guard r.count == Self.header.count, let k = Int(r[5]) else {
                throw RegressionSteerCSVError.badRow(path: url.path, line: i + 2, fields: r.count)
            }
            keys.insert(Key(checkpoint: r[0], function: r[1], method: r[3], condition: r[4], inContextExamples: k, seed: r[8], settingsHash: r[9]))
        }
        return keys
    }

    static func key(_ row: RegressionSteeringRow) -> Key {
        Key(checkpoint: row.checkpoint, function: row.function, method: row.method, condition: row.condition,
            inContextExamples: row.inContextExamples, seed: "\(row.seed)", settingsHash: row.settingsHash)
    }

    /// Appends the rows whose key is not in the file yet; returns how many were written.
    func append(_ rows: [RegressionSteeringRow], codeVersion: String, finishedAt: String) throws -> Int {
        var seen = try existingKeys()
        let fresh = rows.filter { seen.insert(Self.key($0)).inserted }
        guard !fresh.isEmpty else { return 0 }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var text = FileManager.default.fileExists(atPath: url.path) ? "" : Self.line(Self.header)
        for r in fresh {
            text += Self.line([r.checkpoint, r.function, "\(r.dimensions)", r.method, r.condition, "\(r.inContextExamples)",
                               "\(r.squaredErrorPerDimension)", "\(r.prompts)", "\(r.seed)", r.settingsHash, r.settings,
                               String(format: "%.3f", r.prepSeconds), codeVersion, finishedAt])
        }
        let handle = try FileHandle(forWritingTo: try Self.ensureExists(url))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        return fresh.count
    }

    private static func ensureExists(_ url: URL) throws -> URL {
        if !FileManager.default.fileExists(atPath: url.path) { try Data().write(to: url) }
        return url
    }

    /// One RFC-4180 record, LF-terminated.
    static func line(_ fields: [String]) -> String {
        fields.map { f in
            f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
        }.joined(separator: ",") + "\n"
    }

    /// RFC-4180 records (quoted fields may hold commas, quotes and line breaks).
    static func parse(_ text: String) -> [[String]] {
        var records = [[String]](), record = [String](), field = ""
        var quoted = false, afterQuote = false
        for ch in text {
            if quoted {
                if ch == "\"" { quoted = false; afterQuote = true } else { field.append(ch) }
                continue
            }
            switch ch {
            case "\"":
                if afterQuote { field.append("\"") }
                quoted = true
                afterQuote = false
            case ",":
                record.append(field); field = ""; afterQuote = false
            case "\n", "\r\n":
                record.append(field); records.append(record); record = []; field = ""; afterQuote = false
            case "\r":
                afterQuote = false
            default:
                field.append(ch); afterQuote = false
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }
}

enum RegressionSteerCSVError: Error, CustomStringConvertible {
    case badHeader(path: String, found: String)
    case badRow(path: String, line: Int, fields: Int)

    var description: String {
        switch self {
        case .badHeader(let path, let found):
            return "\(path): header is not the regression schema (\(RegressionSteerCSV.header.joined(separator: ","))), found \(found)"
        case .badRow(let path, let line, let fields):
            return "\(path): line \(line) has \(fields) fields or a non-integer in_context_examples, expected \(RegressionSteerCSV.header.count)"
        }
    }
}

/// `git describe --always --dirty` of the working directory, or "unknown".
func regressionSteerCodeVersion() -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["git", "describe", "--always", "--dirty"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return "unknown" }
    process.waitUntilExit()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    return process.terminationStatus == 0 && !out.isEmpty ? out : "unknown"
}

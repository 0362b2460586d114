import Foundation
import Methods
import Testing
import TestSupport
@testable import Bench

/// The typed settings reproduce, byte for byte, the settings text and the settings hash of every
/// committed result row: each row's method is rebuilt from its stored settings, and its settings
/// are rendered and hashed again.
@Suite struct StoredSettingsTests {
    static let files = ["results/runs", "results/cap50/runs", "results/ablations"].flatMap { folder -> [URL] in
        let url = SharedPaths.repositoryRoot.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { $0.hasSuffix(".csv") && !$0.hasPrefix(".") }.sorted().map { url.appendingPathComponent($0) }
    }

    @Test func everyStoredRowsSettingsAndHashComeBackFromTheTypedSettings() throws {
        try #require(Self.files.count >= 4, "results/runs, results/cap50/runs (2 models) and results/ablations")
        var checked = [MethodName: Int]()
        for file in Self.files {
            let rows = try ResultStore(url: file).rows
            #expect(!rows.isEmpty, "\(file.path) holds rows")
            for row in rows {
                let method = try row.method.method(settings: SettingsText(canonical: row.settings))
                #expect(method.name == row.method)
                #expect(method.settings.canonical == row.settings, "\(file.lastPathComponent) \(row.task) \(row.method)")
                let hash = SweepCell.settingsHash(method.settings, seed: row.seed, scoring: row.scoring, maxItems: row.maxItems)
                #expect(hash == row.settingsHash, "\(file.lastPathComponent) \(row.task) \(row.method)")
                checked[row.method, default: 0] += 1
            }
        }
        // Every method the tables show was checked, under the settings the papers use and the ablations'.
        #expect(Set(checked.keys) == [.zeroShot, .icl(shots: 10), .functionVectors, .taskVectors, .ltv, .ltvPaper, .site, .siteAgnostic])
        #expect(checked.values.reduce(0, +) >= 500)
    }

    /// The cells a sweep with the papers' settings would run are the stored cells: the same hash
    /// for the same method, seed, scoring and cap.
    @Test func thePapersSettingsNameTheStoredCells() throws {
        let rows = try ResultStore(url: SharedPaths.repositoryRoot.appendingPathComponent("results/cap50/runs/smollm2-135m.csv")).rows
        let defaults = MethodHyperparameters()
        for kind in MethodKind.allCases {
            let method = kind.makeMethod(defaults)
            let stored = try #require(rows.first { $0.method == method.name && $0.scoring == .exactMatch }, "a stored \(method.name) row")
            #expect(stored.settings == method.settings.canonical)
            #expect(stored.settingsHash == SweepCell.settingsHash(method.settings, seed: 0, scoring: .exactMatch, maxItems: 50))
        }
    }

    /// A results file with a bad typed field is refused with its path, line and column.
    @Test func aStoredRowWithAnUnknownMethodIsNamed() throws {
        let root = try makeTemporaryDirectory("typed-rows")
        defer { try? FileManager.default.removeItem(at: root) }
        let url = root.appendingPathComponent("m.csv")
        var fields = sampleRow().csvFields
        fields[2] = "fv"
        try Data((CSV.text([sampleRow()]) + CSV.line(fields)).utf8).write(to: url)
        #expect(throws: CSVError.badField(file: url.path, line: 3, column: "method", value: "fv", expected: MethodName.spellings)) {
            try ResultStore(url: url)
        }
    }
}

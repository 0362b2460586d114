import Foundation
import Methods
import Testing
import TestSupport
@testable import Bench
#if canImport(Glibc)
import Glibc
#endif

/// `bench run` killed with SIGKILL at several moments and rerun ends with the same result file as
/// an uninterrupted run: same rows in the same order, none duplicated or torn.
@Suite(.serialized) struct KillResumeTests {
    /// The `bench` executable built beside the test bundle.
    static func benchExecutable() throws -> URL {
        var candidates = [URL]()
        let argument0 = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        candidates.append(argument0.deletingLastPathComponent().appendingPathComponent("bench"))
        // Inside an .xctest bundle the executable sits a few folders down.
        var folder = Bundle.main.bundleURL
        for _ in 0..<4 {
            candidates.append(folder.appendingPathComponent("bench"))
            folder = folder.deletingLastPathComponent()
        }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) { return found }
        throw KillResumeFailure("no built `bench` beside the test bundle (looked at \(candidates.map(\.path))); run `swift build --product bench` first")
    }

    struct KillResumeFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    struct Sandbox {
        let root: URL
        var results: URL { root.appendingPathComponent("runs") }
        var artifacts: URL { root.appendingPathComponent("artifacts") }

        func arguments() -> [String] {
            [
                "run", "--model", SharedPaths.smolLM2.path, "--tasks", "country-capital,next_item", "--methods", "zero-shot,icl,site",
                "--site-steps", "4", "--site-prompts", "2", "--max-items", "4", "--scoring", "first-token", "--results", results.path, "--artifacts", artifacts.path,
                "--data-dir", SharedPaths.shared.appendingPathComponent("datasets").path,
                "--manifest", SharedPaths.repositoryRoot.appendingPathComponent("datasets/manifest.json").path,
            ]
        }

        /// The one result file, when written.
        var csv: URL? {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: results.path)) ?? []
            return files.first { $0.hasSuffix(".csv") && !$0.hasPrefix(".") }.map { results.appendingPathComponent($0) }
        }

        var temporaryFileExists: Bool {
            ((try? FileManager.default.contentsOfDirectory(atPath: results.path)) ?? []).contains { $0.hasSuffix(".tmp") }
        }

        /// Rows in the file now; a torn or malformed file fails here.
        func rows() throws -> [ResultRow] {
            guard let csv else { return [] }
            return try CSV.rows(ResultRow.self, from: String(contentsOf: csv, encoding: .utf8), file: csv.path)
        }

        func start(_ bench: URL) throws -> Process {
            let process = Process()
            process.executableURL = bench
            process.arguments = arguments()
            process.currentDirectoryURL = SharedPaths.repositoryRoot
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }

        /// Runs to the end.
        func complete(_ bench: URL) throws {
            let process = try start(bench)
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw KillResumeFailure("bench exited with \(process.terminationStatus)") }
        }

        /// Starts a run and SIGKILLs it once `when` holds (polled every 5 ms); false if it ended first.
        func kill(_ bench: URL, when: () throws -> Bool) throws -> Bool {
            let process = try start(bench)
            while process.isRunning {
                if try when() {
                    Glibc.kill(process.processIdentifier, SIGKILL)
                    process.waitUntilExit()
                    return true
                }
                usleep(5_000)
            }
            return false
        }
    }

    @Test func killedRunsResumeToTheUninterruptedFile() throws {
        try #require(FileManager.default.fileExists(atPath: SharedPaths.smolLM2.path), "model missing: \(SharedPaths.smolLM2.path)")
        let bench = try Self.benchExecutable()
        let root = try makeTemporaryDirectory("kill-resume")
        defer { try? FileManager.default.removeItem(at: root) }

        let reference = Sandbox(root: root.appendingPathComponent("uninterrupted"))
        try reference.complete(bench)
        let expected = try reference.rows()
        // 2 tasks × (zero-shot, icl-10, site).
        #expect(expected.map(\.method) == [.zeroShot, .zeroShot, .icl(shots: 10), .icl(shots: 10), .site, .site])
        #expect(expected.map(\.task) == ["country-capital", "next_item", "country-capital", "next_item", "country-capital", "next_item"])
        #expect(expected.allSatisfy { $0.items == 4 && $0.maxItems == 4 && !$0.preparedFromCache })

        let resumed = Sandbox(root: root.appendingPathComponent("resumed"))
        var killedAt = [Int]()
        func killed(_ when: () throws -> Bool) throws {
            if try resumed.kill(bench, when: when) { killedAt.append(try resumed.rows().count) }
            let rows = try resumed.rows()
            #expect(Set(rows.map(\.key)).count == rows.count, "a cell was written twice")
            #expect(rows.map(\.key) == expected.prefix(rows.count).map(\.key), "rows are a prefix of the uninterrupted run")
        }
        // Right after the first row.
        try killed { try resumed.rows().count >= 1 }
        // In SITE's preparation: all prompt-only rows written, SITE still training.
        var sitePreparationSince: Date?
        try killed {
            guard try resumed.rows().count >= 4 else { return false }
            if sitePreparationSince == nil { sitePreparationSince = Date() }
            return Date().timeIntervalSince(sitePreparationSince!) > 0.5
        }
        // While a row is being written (the temporary file exists), else at the next row.
        let before = try resumed.rows().count
        try killed { try resumed.temporaryFileExists || resumed.rows().count > before }
        try resumed.complete(bench)
        #expect(killedAt.count == 3, "every kill landed before the run ended (rows at each kill: \(killedAt))")
        #expect(killedAt.first ?? 0 >= 1 && killedAt.dropFirst().first == 4, "kills after the first row and in SITE's preparation: \(killedAt)")

        let actual = try resumed.rows()
        #expect(actual.count == expected.count)
        let compared = ResultRow.header.indices.filter { !ResultRow.volatileColumns.contains(ResultRow.header[$0]) }
        for (a, e) in zip(actual, expected) {
            for i in compared {
                // A SITE artifact saved before a kill is reused: the resumed row says so and counts no tokens.
                let cacheColumns: Set = ["prep_cached", "prep_tokens"]
                if a.preparedFromCache, cacheColumns.contains(ResultRow.header[i]) {
                    #expect(a.method == .site && a.preparationTokens == 0)
                    continue
                }
                #expect(a.csvFields[i] == e.csvFields[i], "\(a.task) \(a.method): column \(ResultRow.header[i])")
            }
        }
    }
}

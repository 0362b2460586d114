import ArgumentParser
import Foundation
import Methods
import Tasks
import Testing
import TestSupport
@testable import Bench

/// The parts of a stored sweep that need no model: options, progress, provenance.
@Suite struct ResultStoreSweepTests {
    func cell(_ task: String, _ method: MethodName = .site) -> SweepCell {
        SweepCell(model: "m", task: task, method: method, seed: 0, settingsHash: "0123456789ab", settings: "steps=4")
    }

    func record(_ task: String) -> RunRecord {
        RunRecord(
            model: "m", task: task, method: .site, seed: 0, settingsHash: "0123456789ab", settings: "steps=4", scoring: .firstToken,
            shots: 0, maxItems: 4, accuracy: 0.75, correct: 3, items: 4, preparationSeconds: 2, preparationTokens: 100,
            preparedFromCache: false, testSeconds: 1, testPromptTokens: 40)
    }

    @Test func progressLineCountsAndEstimatesFromCellsRun() {
        var lines = [String]()
        let start = Date(timeIntervalSince1970: 1000)
        var progress = SweepProgress(total: 6, started: start) { lines.append($0) }
        progress.observe(.skipped(cell("a")), now: start)
        progress.observe(.skipped(cell("b")), now: start)
        progress.observe(.preparing(method: .site, tasks: ["c", "d"]), now: start)
        #expect(lines.last == "\r[2/6] site: preparing 2 tasks\u{1B}[K", "no estimate before a cell has run")
        progress.observe(.evaluating(cell("c")), now: start.addingTimeInterval(5))
        progress.observe(.finished(record("c")), now: start.addingTimeInterval(10))
        // One cell run in 10 s, three left: 30 s. Skipped cells cost nothing.
        #expect(lines.last == "\r[3/6] m c site: done ETA 30s\u{1B}[K")
        struct Boom: Error, CustomStringConvertible { var description: String { "out of memory" } }
        progress.observe(.failed(cell("d"), phase: .evaluation, error: Boom()), now: start.addingTimeInterval(10))
        #expect(progress.ran == 1 && progress.skipped == 2 && progress.done == 4)
        #expect(progress.failures == [SweepProgress.Failure(cell: "m d site", reason: "evaluation: out of memory")])
        #expect(progress.summary == "cells: 1 run, 2 skipped (already stored), 1 failed\nfailed: m d site: evaluation: out of memory")
        #expect(SweepProgress.duration(3725) == "1h02m" && SweepProgress.duration(125) == "2m05s" && SweepProgress.duration(4.4) == "4s")
    }

    @Test func noTerminalNoProgressLine() {
        // Tests run with stderr on a pipe or file; the default writer must then draw nothing.
        if isatty(STDERR_FILENO) == 0 { #expect(SweepProgress.terminalWriter() == nil) }
    }

    @Test func peakMemoryIsReadFromVmHWM() {
        let status = "Name:\tbench\nVmPeak:\t 2000000 kB\nVmHWM:\t  524288 kB\nVmRSS:\t 1000 kB\n"
        #expect(RunProvenance.peakMemoryMiB(status: status) == 512)
        #expect(RunProvenance.peakMemoryMiB(status: "Name:\tx\n") == 0)
        #expect(RunProvenance.peakMemoryMiB(status: nil) == 0)
        #expect(RunProvenance.peakMemoryMiB() > 1, "this process has a resident set")
    }

    @Test func timestampsAreUTCSeconds() {
        #expect(RunProvenance.timestamp(Date(timeIntervalSince1970: 1_795_000_000)) == "2026-11-18T11:06:40Z")
    }

    /// The version is fixed when `bench` is compiled (Plugins/BuildVersion): the tests are built from
    /// this checkout as it is, so it equals `git describe --always` of it now, with "-dirty" when a
    /// tracked file outside results/ differs from HEAD (rows a running sweep appends are not code).
    @Test func codeVersionIsTheBuiltCheckoutsGitDescribe() throws {
        func git(_ arguments: String...) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git", "-C", SharedPaths.repositoryRoot.path] + arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let described = try git("describe", "--always")
        let codeChanged = try git("diff", "--quiet", "HEAD", "--", ".", ":(exclude)results").status != 0
        let expected = described.status == 0 ? described.output + (codeChanged ? "-dirty" : "") : "unknown"
        #expect(RunProvenance.codeVersion == expected)
        #expect(!RunProvenance.codeVersion.isEmpty && !RunProvenance.codeVersion.contains("\n"))
    }

    /// scripts/build-version, which the BuildVersion plugin runs before each build: "unknown"
    /// outside a checkout, the checkout's describe inside one, and the file left alone (not even
    /// rewritten) when the version is unchanged.
    @Test func buildVersionScriptNamesTheCheckoutOrUnknown() throws {
        let script = SharedPaths.repositoryRoot.appendingPathComponent("scripts/build-version").path
        func run(_ arguments: [String]) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = [script] + arguments
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        let outside = try makeTemporaryDirectory("build-version-outside")
        defer { try? FileManager.default.removeItem(at: outside) }
        let output = outside.appendingPathComponent("Generated")
        let file = output.appendingPathComponent("BuildVersion.swift")
        #expect(try run([outside.path, output.path]) == 0)
        #expect(try String(contentsOf: file, encoding: .utf8)
                == "// Generated before each build by Plugins/BuildVersion.\nlet buildCodeVersion = \"unknown\"\n")
        // Unchanged: not rewritten (an old modification date survives).
        let old = Date(timeIntervalSince1970: 1_000_000)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: file.path)
        #expect(try run([outside.path, output.path]) == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date == old)
        // The checkout: the version this binary was built with.
        #expect(try run([SharedPaths.repositoryRoot.path, output.path]) == 0)
        #expect(try String(contentsOf: file, encoding: .utf8).contains("let buildCodeVersion = \"\(RunProvenance.codeVersion)\""))
        #expect(try run([outside.path]) == 2, "a usage error, not a file written somewhere")

        // A checkout of its own: rows appended under results/ leave the version clean, a changed
        // source file makes it "-dirty".
        let repo = try makeTemporaryDirectory("build-version-repo")
        defer { try? FileManager.default.removeItem(at: repo) }
        func git(_ arguments: String...) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git", "-C", repo.path, "-c", "user.name=t", "-c", "user.email=t@t"] + arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "git \(arguments)")
        }
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("results"), withIntermediateDirectories: true)
        try Data("a\n".utf8).write(to: repo.appendingPathComponent("code.swift"))
        try Data("row\n".utf8).write(to: repo.appendingPathComponent("results/runs.csv"))
        try git("init", "-q")
        try git("add", "-A")
        try git("commit", "-q", "-m", "c")
        func version() throws -> String {
            #expect(try run([repo.path, output.path]) == 0)
            let text = try String(contentsOf: file, encoding: .utf8)
            return String(text.split(separator: "\"")[1])
        }
        let clean = try version()
        #expect(clean.count >= 7 && !clean.hasSuffix("-dirty") && clean != "unknown", "\(clean)")
        try Data("row\nrow\n".utf8).write(to: repo.appendingPathComponent("results/runs.csv"))
        #expect(try version() == clean)
        try Data("b\n".utf8).write(to: repo.appendingPathComponent("code.swift"))
        #expect(try version() == clean + "-dirty")
    }

    @Test func dataVersionComesFromTheManifestElseTheFile() throws {
        let data = DataDirectory(root: SharedPaths.shared.appendingPathComponent("datasets"))
        let manifestURL = SharedPaths.repositoryRoot.appendingPathComponent("datasets/manifest.json")
        let manifest = try DatasetManifest.load(from: manifestURL)
        let entry = try #require(manifest.tasks.first { $0.name == "country-capital" }?.files.first { $0.split == .test })
        let versions = DataVersions(manifest: manifestURL, data: data)
        #expect(versions.version(of: "country-capital") == String(entry.sha256.prefix(12)))
        // Without a manifest the file itself is hashed, to the same digest.
        let hashed = DataVersions(manifest: nil, data: data)
        #expect(hashed.version(of: "country-capital") == String(entry.sha256.prefix(12)))
        #expect(hashed.version(of: "no-such-task") == "unknown")
    }

    @Test func runTakesEveryHyperparameter() throws {
        let command = try #require(try BenchCommand.parseAsRoot([
            "run", "--model", "smollm2-135m,gemma3-270m", "--model", "x.gguf", "--tasks", "country-capital,next_item",
            "--methods", "zero-shot,icl,site,fv,ltv", "--seeds", "1,2,3", "--shots", "5", "--max-items", "7", "--scoring", "first-token",
            "--site-prompts", "20", "--site-shots", "4", "--site-steps", "100", "--site-lr", "0.05", "--site-task-agnostic",
            "--fv-heads", "5", "--fv-layer", "9", "--ltv-profile", "paper", "--results", "r/runs", "--artifacts", "r/a",
            "--joint-tasks", "3",
        ]) as? RunCommand)
        #expect(command.models == ["smollm2-135m", "gemma3-270m", "x.gguf"])
        #expect(try command.selectedTasks().map(\.name) == ["country-capital", "next_item"])
        #expect(try command.sweep.seedList() == [1, 2, 3])
        let h = command.sweep.hyperparameters
        #expect(h.shots == 5 && h.site.embeddingPrompts == 20 && h.site.embeddingShots == 4 && h.site.steps == 100)
        #expect(h.site.learningRate == 0.05 && h.site.taskAgnostic && h.functionVectorHeads == 5 && h.functionVectorLayer == 9)
        #expect(h.ltv == .paper())
        #expect(MethodKind.site.makeMethod(h).name == .siteAgnostic && MethodKind.ltv.makeMethod(h).name == .ltvPaper)
        #expect(MethodKind.icl.makeMethod(h).name == .icl(shots: 5))
        let plan = try command.sweep.plan(models: command.models, modelStore: command.location.store(), tasks: [], methods: [.site])
        #expect(plan.evaluation.maxItems == 7 && plan.evaluation.scoring == .firstToken && plan.seeds == [1, 2, 3])
        #expect(plan.resultsDirectory.path.hasSuffix("r/runs") && plan.artifacts.path.hasSuffix("r/a"))
        #expect(plan.jointTasks == 3)
    }

    @Test func runDefaultsAreThePapers() throws {
        let command = try #require(try BenchCommand.parseAsRoot(["run", "--tasks", "all"]) as? RunCommand)
        #expect(command.models == ["smollm2-135m"])
        #expect(try command.selectedTasks().count == 57)
        #expect(try command.sweep.seedList() == [0])
        #expect(command.sweep.hyperparameters == MethodHyperparameters())
        #expect(command.sweep.results == "results/runs")
        #expect(command.sweep.jointTasks == Sweep.defaultJointGroupSize && Sweep.defaultJointGroupSize == 8)
        #expect(try command.selectedMethods() == MethodKind.allCases)
    }

    @Test func badRunOptionsAreRefused() {
        for arguments in [
            ["run", "--tasks", "country-capital", "--seeds", "1,x"], ["run", "--tasks", "country-capital", "--site-lr", "0"],
            ["run", "--tasks", "country-capital", "--fv-heads", "0"], ["run", "--tasks", "no-such-task"],
            ["run", "--tasks", "country-capital", "--methods", "zero-shot,magic"], ["run", "--tasks", "country-capital", "--ltv-profile", "big"],
            ["run", "--tasks", "country-capital", "--max-items", "0"], ["--models", "smollm2-135m"],
            ["run", "--tasks", "country-capital", "--compute", "int8"], ["--all", "--compute", "int8"],
        ] {
            #expect(throws: (any Error).self, "\(arguments)") { try BenchCommand.parseAsRoot(arguments) }
        }
    }

    @Test func allTakesModelsAndTheItemCap() throws {
        let command = try #require(try BenchCommand.parseAsRoot(["--all", "--models", "gemma3-270m", "--max-items", "50"]) as? WholeBenchmarkCommand)
        #expect(command.all && command.models == "gemma3-270m" && command.sweep.maxItems == 50)
        let root = try #require(try BenchCommand.parseAsRoot(["--all"]) as? WholeBenchmarkCommand)
        #expect(root.models == nil && root.sweep.maxItems == nil && root.resultsRoot == "results")
        #expect(AllBenchmark.methods == [.zeroShot, .icl, .functionVector, .taskVector, .ltv, .site])
        #expect(AllBenchmark.defaultModels == ["smollm2-135m", "gemma3-270m"])
    }

    /// A plan with no backend options (as `bench --all` makes it) runs on the native engine.
    @Test func aPlanWithoutBackendOptionsRunsTheNativeEngine() throws {
        let root = try makeTemporaryDirectory("stored-sweep-native")
        defer { try? FileManager.default.removeItem(at: root) }
        let command = try #require(try BenchCommand.parseAsRoot([
            "run", "--model", "smollm2-135m", "--tasks", "country-capital", "--methods", "zero-shot", "--max-items", "1",
            "--results", root.appendingPathComponent("runs").path, "--artifacts", root.appendingPathComponent("artifacts").path,
            "--data-dir", SharedPaths.shared.appendingPathComponent("datasets").path,
        ]) as? RunCommand)
        let plan = try command.sweep.plan(
            models: command.models, modelStore: command.location.store(), tasks: try command.selectedTasks(), methods: try command.selectedMethods())
        #expect(plan.backend == nil)
        let progress = try plan.run()
        #expect(progress.ran == 1 && progress.failedCells == 0)
    }

    /// --answers writes one file per new cell: every evaluated item, its target and prediction,
    /// and as many right as the stored row counts; a rerun that skips the cell leaves it alone.
    @Test func answersAreWrittenPerCellAndAgreeWithTheRow() throws {
        let root = try makeTemporaryDirectory("stored-sweep-answers")
        defer { try? FileManager.default.removeItem(at: root) }
        let answers = root.appendingPathComponent("answers")
        let command = try #require(try BenchCommand.parseAsRoot([
            "run", "--model", "smollm2-135m", "--tasks", "country-capital", "--methods", "zero-shot,icl", "--max-items", "4",
            "--results", root.appendingPathComponent("runs").path, "--artifacts", root.appendingPathComponent("artifacts").path,
            "--data-dir", SharedPaths.shared.appendingPathComponent("datasets").path, "--answers", answers.path,
        ]) as? RunCommand)
        let plan = try command.sweep.plan(
            models: command.models, modelStore: command.location.store(), tasks: try command.selectedTasks(), methods: try command.selectedMethods())
        #expect(try plan.run().ran == 2)
        let rows = try ResultStore(directory: root.appendingPathComponent("runs"), model: "smollm2-135m").rows
        let test = try TaskRegistry.site57.task(named: "country-capital")
            .load(.test, from: DataDirectory(root: SharedPaths.shared.appendingPathComponent("datasets")))
        for row in rows {
            let file = answers.appendingPathComponent("smollm2-135m/country-capital/\(row.method)-seed0-\(row.settingsHash).csv")
            let outcomes = try CSVStore<ItemOutcome>(url: file).rows
            #expect(outcomes.map(\.index) == [0, 1, 2, 3], "\(file.path)")
            // The target as the prompt writes it, after "A:" and a space.
            #expect(outcomes.map(\.target) == test.prefix(4).map { " " + $0.output.text })
            #expect(outcomes.filter(\.correct).count == row.correct)
            #expect(outcomes.allSatisfy { !$0.prediction.isEmpty })
        }
        let zeroShot = try #require(rows.first { $0.method == .zeroShot })
        let file = answers.appendingPathComponent("smollm2-135m/country-capital/zero-shot-seed0-\(zeroShot.settingsHash).csv")
        try FileManager.default.removeItem(at: file)
        #expect(try plan.run().ran == 0)
        #expect(!FileManager.default.fileExists(atPath: file.path))
    }

    @Test func aModelThatDoesNotLoadFailsItsCellsAndTheRunGoesOn() throws {
        let root = try makeTemporaryDirectory("stored-sweep")
        defer { try? FileManager.default.removeItem(at: root) }
        let missing = root.appendingPathComponent("absent.gguf").path
        let command = try #require(try BenchCommand.parseAsRoot([
            "run", "--model", "\(missing),\(missing)", "--tasks", "country-capital,next_item", "--methods", "zero-shot,icl",
            "--results", root.appendingPathComponent("runs").path, "--models-dir", root.appendingPathComponent("models").path,
        ]) as? RunCommand)
        let plan = try command.sweep.plan(
            models: command.models, modelStore: command.location.store(), tasks: try command.selectedTasks(), methods: try command.selectedMethods())
        let progress = try plan.run()
        #expect(progress.failedCells == 8 && progress.done == 8 && progress.ran == 0)
        #expect(progress.failures.count == 2 && progress.failures[0].cell == "\(missing) (4 cells)")
        #expect(progress.failures[0].reason.hasPrefix("loading the model: "))
        #expect(progress.summary.hasPrefix("cells: 0 run, 0 skipped (already stored), 8 failed\nfailed: \(missing) (4 cells): loading the model:"))
    }
}

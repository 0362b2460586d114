import Foundation
import Methods
import Models
import Tasks
import Tensors
import Testing
import TestSupport
@testable import Bench

/// `bench heads` on SmolLM2-135M with hand-made SITE artifacts of its shapes: every evaluation is
/// a stored cell, a rerun evaluates nothing again, and a rerun over one more task evaluates only
/// that task's cells.
@Suite struct HeadsResumeTests {
    /// Writes a SITE artifact of SmolLM2's shapes (30 layers, 9 heads of 64) with seeded values
    /// under `site`'s settings for `artifactSeed` (by default those `bench heads` asks for).
    func writeArtifact(_ task: String, cache: ArtifactCache, seed: UInt64, artifactSeed: UInt64 = 0,
                       site: SoftInjectionMethod = SoftInjectionMethod()) throws {
        var random = SeededGenerator(seed: seed)
        let logits = (0..<(30 * 9)).map { _ in Float.random(in: -3...3, using: &random) }
        let embedding = (0..<(30 * 576)).map { _ in Float.random(in: -0.5...0.5, using: &random) }
        try cache.save(model: "smollm2-135m", method: .site, task: task,
                       settings: site.artifactSettings(seed: artifactSeed, model: "smollm2-135m"),
                       artifact: ArtifactCache.Artifact(tensors: ["alpha_logits": Tensor(shape: [30, 9], scalars: logits),
                                                                  "task_embedding": Tensor(shape: [30, 576], scalars: embedding)],
                                                        facts: [:]))
    }

    func heads(_ tasks: String, root: URL) throws {
        let command = try #require(try BenchCommand.parseAsRoot([
            "heads", "--model", "smollm2-135m", "--models-dir", SharedPaths.models.path,
            "--data-dir", SharedPaths.shared.appendingPathComponent("datasets").path,
            "--artifacts", root.appendingPathComponent("artifacts").path, "--output", root.appendingPathComponent("heads").path,
            "--tasks", tasks, "--max-items", "3", "--top-k", "2", "--cross-tasks", "2", "--batch-size", "3", "--threads", "1",
        ]) as? HeadsCommand)
        try command.run()
    }

    @Test func evaluationsAreStoredAndReused() throws {
        _ = try SharedPaths.requireModel(SharedPaths.smolLM2)
        let root = try makeTemporaryDirectory("heads-resume")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = ArtifactCache(root: root.appendingPathComponent("artifacts"))
        for (i, task) in ["antonym", "capitalize", "country-capital"].enumerated() { try writeArtifact(task, cache: cache, seed: UInt64(i + 1)) }
        // cells.csv is per model; the tables of a capped analysis go to cap<N>.
        let cellsURL = root.appendingPathComponent("heads/smollm2-135m/cells.csv")
        let folder = root.appendingPathComponent("heads/smollm2-135m/cap3")

        try heads("antonym,capitalize", root: root)
        let first = try CSVStore<HeadEvaluationCell>(url: cellsURL).rows
        // Per task, its row of the 2 × 2 cross-task matrix (the diagonal is SITE), then top-2 and bottom-2.
        #expect(first.map { "\($0.task) \($0.experiment)" } == [
            "antonym site", "antonym embedding-of:capitalize", "antonym top-2", "antonym bottom-2",
            "capitalize embedding-of:antonym", "capitalize site", "capitalize top-2", "capitalize bottom-2",
        ])
        #expect(first.allSatisfy { $0.items == 3 && $0.maxItems == 3 && $0.scoring == .exactMatch && $0.correct <= 3 })
        let settingsHash = SoftInjectionMethod().artifactSettings(seed: 0, model: "smollm2-135m").hash
        #expect(first.allSatisfy { $0.settingsHash == settingsHash })
        let patching = try String(contentsOf: folder.appendingPathComponent("patching.csv"), encoding: .utf8)
        let cross = try String(contentsOf: folder.appendingPathComponent("cross-task.csv"), encoding: .utf8)

        // Again: nothing evaluated, the same tables.
        try heads("antonym,capitalize", root: root)
        #expect(try CSVStore<HeadEvaluationCell>(url: cellsURL).rows == first)
        #expect(try String(contentsOf: folder.appendingPathComponent("patching.csv"), encoding: .utf8) == patching)
        #expect(try String(contentsOf: folder.appendingPathComponent("cross-task.csv"), encoding: .utf8) == cross)

        // One more task: only its three cells are new (the cross-task matrix stays on the first two).
        try heads("antonym,capitalize,country-capital", root: root)
        let third = try CSVStore<HeadEvaluationCell>(url: cellsURL).rows
        #expect(Array(third.prefix(first.count)) == first)
        #expect(third.dropFirst(first.count).map { "\($0.task) \($0.experiment)" }
                == ["country-capital site", "country-capital top-2", "country-capital bottom-2"])
        let table = try String(contentsOf: folder.appendingPathComponent("patching.csv"), encoding: .utf8)
        #expect(table.hasPrefix(patching) && table.split(separator: "\n").count == 4)
    }

    /// Cells are evaluated for the tasks at hand; the cross-task rows wait until every task of the
    /// matrix has its artifact, and then only they and the new task's cells run.
    @Test func crossTaskRowsWaitForEveryTaskOfTheMatrix() throws {
        let file = try SharedPaths.requireModel(SharedPaths.smolLM2)
        let root = try makeTemporaryDirectory("heads-cells")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = ArtifactCache(root: root.appendingPathComponent("artifacts"))
        for (i, task) in ["antonym", "capitalize"].enumerated() { try writeArtifact(task, cache: cache, seed: UInt64(i + 1)) }
        let settings = SoftInjectionMethod().artifactSettings(seed: 0, model: "smollm2-135m")
        let artifacts = try SITEArtifact.loadAll(from: cache, model: "smollm2-135m", settings: settings, tasks: ["antonym", "capitalize"])
        let lm = try LanguageModel.load(.ggufFile(file), name: "smollm2-135m")
        let url = root.appendingPathComponent("cells.csv")
        var cells = try HeadCells(url: url, model: lm, backend: NativeBackend(model: lm),
                                  data: DataDirectory(root: SharedPaths.shared.appendingPathComponent("datasets")),
                                  options: EvaluationOptions(maxItems: 2, batchSize: 2), settingsHash: settings.hash, topK: 2)
        let matrix = ["antonym", "capitalize"]
        try cells.evaluateMissing([artifacts[0]], crossTasks: matrix)
        #expect(try CSVStore<HeadEvaluationCell>(url: url).rows.map { "\($0.task) \($0.experiment)" }
                == ["antonym site", "antonym top-2", "antonym bottom-2"])
        try cells.evaluateMissing(artifacts, crossTasks: matrix)
        let rows = try CSVStore<HeadEvaluationCell>(url: url).rows
        #expect(rows.dropFirst(3).map { "\($0.task) \($0.experiment)" } == [
            "antonym embedding-of:capitalize",
            "capitalize embedding-of:antonym", "capitalize site", "capitalize top-2", "capitalize bottom-2",
        ])
        #expect(rows.allSatisfy { $0.items == 2 && $0.maxItems == 2 && $0.settingsHash == settings.hash })
        // A fresh reader of the same file has every cell and evaluates nothing.
        var again = try HeadCells(url: url, model: lm, backend: NativeBackend(model: lm),
                                  data: DataDirectory(root: SharedPaths.shared.appendingPathComponent("datasets")),
                                  options: EvaluationOptions(maxItems: 2, batchSize: 2), settingsHash: settings.hash, topK: 2)
        try again.evaluateMissing(artifacts, crossTasks: matrix)
        #expect(try CSVStore<HeadEvaluationCell>(url: url).rows == rows)
        #expect(again.cell(HeadExperiment.crossTask(alphaOf: "capitalize", embeddingOf: "antonym"), task: "capitalize") == rows[4])
    }

    /// `--prepare` on a machine without artifacts trains the asked task's SITE artifact under the
    /// settings the analysis reads, evaluates its cells as soon as it is stored, and trains and
    /// evaluates nothing when run again.
    @Test func prepareTrainsMissingArtifactsOnce() throws {
        _ = try SharedPaths.requireModel(SharedPaths.smolLM2)
        let root = try makeTemporaryDirectory("heads-prepare")
        defer { try? FileManager.default.removeItem(at: root) }
        func heads() throws {
            let command = try #require(try BenchCommand.parseAsRoot([
                "heads", "--prepare", "--model", "smollm2-135m", "--models-dir", SharedPaths.models.path,
                "--data-dir", SharedPaths.shared.appendingPathComponent("datasets").path,
                "--artifacts", root.appendingPathComponent("artifacts").path, "--output", root.appendingPathComponent("heads").path,
                "--tasks", "antonym", "--top-k", "2", "--max-items", "2", "--batch-size", "2", "--threads", "1",
            ]) as? HeadsCommand)
            try command.run()
        }
        try heads()
        let cellsURL = root.appendingPathComponent("heads/smollm2-135m/cells.csv")
        let cells = try CSVStore<HeadEvaluationCell>(url: cellsURL).rows
        #expect(cells.map { "\($0.task) \($0.experiment)" } == ["antonym site", "antonym top-2", "antonym bottom-2"])
        let cache = ArtifactCache(root: root.appendingPathComponent("artifacts"))
        let settings = SoftInjectionMethod().artifactSettings(seed: 0, model: "smollm2-135m")
        let artifact = try #require(try SITEArtifact.loadAll(from: cache, model: "smollm2-135m", settings: settings).first)
        #expect(artifact.task == "antonym" && artifact.alphaLogits.shape == [30, 9] && artifact.taskEmbedding.shape == [30, 576])
        #expect(artifact.alphas.scalars.allSatisfy { $0 > 0 && $0 < 1 } && artifact.alphaLogits.scalars.contains { $0 != 0 })
        let tensors = cache.folder(model: "smollm2-135m", method: .site, task: "antonym", settings: settings)
            .appendingPathComponent("artifact.safetensors")
        let written = try FileManager.default.attributesOfItem(atPath: tensors.path)[.modificationDate] as? Date
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("heads/smollm2-135m/cap2/top2-overlap.csv").path))

        try heads()
        #expect(try FileManager.default.attributesOfItem(atPath: tensors.path)[.modificationDate] as? Date == written)
        #expect(try CSVStore<HeadEvaluationCell>(url: cellsURL).rows == cells)
    }

    /// An analysis of other settings (here seed 1) writes its tables in a folder of its own and
    /// leaves the default tables as they were.
    @Test func otherSettingsKeepTheirOwnTables() throws {
        _ = try SharedPaths.requireModel(SharedPaths.smolLM2)
        let root = try makeTemporaryDirectory("heads-settings")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = ArtifactCache(root: root.appendingPathComponent("artifacts"))
        for (i, task) in ["antonym", "capitalize"].enumerated() {
            try writeArtifact(task, cache: cache, seed: UInt64(i + 1))
            try writeArtifact(task, cache: cache, seed: UInt64(i + 7), artifactSeed: 1)
        }
        func heads(seed: String) throws {
            let command = try #require(try BenchCommand.parseAsRoot([
                "heads", "--no-evaluation", "--model", "smollm2-135m", "--models-dir", SharedPaths.models.path,
                "--artifacts", root.appendingPathComponent("artifacts").path, "--output", root.appendingPathComponent("heads").path,
                "--seed", seed, "--top-k", "2", "--threads", "1",
            ]) as? HeadsCommand)
            try command.run()
        }
        let folder = root.appendingPathComponent("heads/smollm2-135m")
        try heads(seed: "0")
        let defaultTable = try String(contentsOf: folder.appendingPathComponent("top2-overlap.csv"), encoding: .utf8)
        try heads(seed: "1")
        let hash = SoftInjectionMethod().artifactSettings(seed: 1, model: "smollm2-135m").hash
        let own = folder.appendingPathComponent(String(hash.prefix(16)))
        #expect(FileManager.default.fileExists(atPath: own.appendingPathComponent("top2-overlap.csv").path))
        #expect(try String(contentsOf: folder.appendingPathComponent("top2-overlap.csv"), encoding: .utf8) == defaultTable)
        let heatmap = "alpha-antonym.svg"
        #expect(try Data(contentsOf: own.appendingPathComponent(heatmap)) != Data(contentsOf: folder.appendingPathComponent(heatmap)),
                "seed 1's heatmap shows its own α")
    }

    /// SITE's settings flags choose the artifacts analysed: `--site-lr 0.5` reads those trained
    /// with that rate and writes its tables in their settings' folder; task-agnostic SITE, which
    /// stores no per-task artifact, is refused.
    @Test func siteFlagsNameTheArtifactsAnalysed() throws {
        _ = try SharedPaths.requireModel(SharedPaths.smolLM2)
        let root = try makeTemporaryDirectory("heads-site-flags")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = ArtifactCache(root: root.appendingPathComponent("artifacts"))
        var faster = SoftInjectionSettings()
        faster.learningRate = 0.5
        let site = SoftInjectionMethod(settings: faster)
        for (i, task) in ["antonym", "capitalize"].enumerated() {
            try writeArtifact(task, cache: cache, seed: UInt64(i + 1))
            try writeArtifact(task, cache: cache, seed: UInt64(i + 7), site: site)
        }
        func heads(_ flags: [String]) throws {
            let command = try #require(try BenchCommand.parseAsRoot([
                "heads", "--no-evaluation", "--model", "smollm2-135m", "--models-dir", SharedPaths.models.path,
                "--artifacts", root.appendingPathComponent("artifacts").path, "--output", root.appendingPathComponent("heads").path,
                "--top-k", "2", "--threads", "1",
            ] + flags) as? HeadsCommand)
            try command.run()
        }
        let folder = root.appendingPathComponent("heads/smollm2-135m")
        try heads([])
        try heads(["--site-lr", "0.5"])
        let own = folder.appendingPathComponent(String(site.artifactSettings(seed: 0, model: "smollm2-135m").hash.prefix(16)))
        let heatmap = "alpha-antonym.svg"
        #expect(try Data(contentsOf: own.appendingPathComponent(heatmap)) != Data(contentsOf: folder.appendingPathComponent(heatmap)),
                "the lr-0.5 artifact's α, not the default's")
        #expect(try String(contentsOf: own.appendingPathComponent("top2-overlap.md"), encoding: .utf8).contains("capitalize"))
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["heads", "--site-task-agnostic"]) }
    }

    /// The tables' folder: the model's own for the default settings over every item; a settings
    /// subfolder, then cap<N>, otherwise.
    @Test func tablesFolderNamesSettingsThenCap() {
        let model = URL(fileURLWithPath: "/r/heads/smollm2-135m")
        let seed0 = SoftInjectionMethod().artifactSettings(seed: 0, model: "smollm2-135m")
        let seed1 = SoftInjectionMethod().artifactSettings(seed: 1, model: "smollm2-135m")
        let own = String(seed1.hash.prefix(16))
        #expect(HeadAnalysisRun.tablesFolder(model, settings: seed0, model: "smollm2-135m", maxItems: nil).path == "/r/heads/smollm2-135m")
        #expect(HeadAnalysisRun.tablesFolder(model, settings: seed0, model: "smollm2-135m", maxItems: 50).path == "/r/heads/smollm2-135m/cap50")
        #expect(HeadAnalysisRun.tablesFolder(model, settings: seed1, model: "smollm2-135m", maxItems: nil).path == "/r/heads/smollm2-135m/\(own)")
        #expect(HeadAnalysisRun.tablesFolder(model, settings: seed1, model: "smollm2-135m", maxItems: 5).path
                == "/r/heads/smollm2-135m/\(own)/cap5")
    }

    /// `bench --all`'s head stage passes over a model with any of its tasks' SITE artifacts
    /// missing (writing nothing, failing nothing), and analyses it once all are stored.
    @Test func allStageWaitsForEveryTasksArtifact() throws {
        _ = try SharedPaths.requireModel(SharedPaths.smolLM2)
        let root = try makeTemporaryDirectory("heads-all-stage")
        defer { try? FileManager.default.removeItem(at: root) }
        let results = root.appendingPathComponent("results")
        let cache = ArtifactCache(root: results.appendingPathComponent("artifacts"))
        let command = try #require(try BenchCommand.parseAsRoot([
            "--all", "--models-dir", SharedPaths.models.path, "--max-items", "2", "--batch-size", "2",
            "--artifacts", results.appendingPathComponent("artifacts").path,
            "--data-dir", SharedPaths.shared.appendingPathComponent("datasets").path,
        ]) as? WholeBenchmarkCommand)
        let stage = SITEHeadsStage(tasks: ["antonym", "capitalize"])
        try writeArtifact("antonym", cache: cache, seed: 1)
        #expect(stage.runAll(models: ["smollm2-135m"], sweep: command.sweep, modelStore: command.location.store(), resultsDirectory: results).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: results.appendingPathComponent("heads").path))

        try writeArtifact("capitalize", cache: cache, seed: 2)
        #expect(stage.runAll(models: ["smollm2-135m"], sweep: command.sweep, modelStore: command.location.store(), resultsDirectory: results).isEmpty)
        let patching = try String(contentsOf: results.appendingPathComponent("heads/smollm2-135m/cap2/patching.csv"), encoding: .utf8)
        #expect(patching.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[0] } == ["antonym", "capitalize"])
        let cells = try CSVStore<HeadEvaluationCell>(url: results.appendingPathComponent("heads/smollm2-135m/cells.csv")).rows
        #expect(cells.count == 8 && cells.allSatisfy { $0.items == 2 && $0.maxItems == 2 })
    }

    /// `bench --all` with other SITE settings looks for the artifacts of those settings: the
    /// default ones stored here do not stand in for them, and task-agnostic SITE has none.
    @Test func allStageReadsTheSweepsSITESettings() throws {
        _ = try SharedPaths.requireModel(SharedPaths.smolLM2)
        let root = try makeTemporaryDirectory("heads-all-settings")
        defer { try? FileManager.default.removeItem(at: root) }
        let results = root.appendingPathComponent("results")
        let cache = ArtifactCache(root: results.appendingPathComponent("artifacts"))
        try writeArtifact("antonym", cache: cache, seed: 1)
        for flags in [["--site-lr", "0.5"], ["--site-task-agnostic"]] {
            let command = try #require(try BenchCommand.parseAsRoot([
                "--all", "--models-dir", SharedPaths.models.path, "--max-items", "2",
                "--artifacts", results.appendingPathComponent("artifacts").path,
            ] + flags) as? WholeBenchmarkCommand)
            let stage = SITEHeadsStage(tasks: ["antonym"])
            #expect(stage.runAll(models: ["smollm2-135m"], sweep: command.sweep, modelStore: command.location.store(), resultsDirectory: results).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: results.appendingPathComponent("heads").path), "\(flags)")
        }
    }

    @Test func experimentsReadBackFromTheirText() throws {
        let all: [HeadExperiment] = [.site, .embedding(of: "country-capital"), .highest(10), .lowest(3)]
        #expect(all.map(\.description) == ["site", "embedding-of:country-capital", "top-10", "bottom-3"])
        #expect(all.map { HeadExperiment($0.description) } == all)
        for bad in ["", "Site", "top-0", "bottom-x", "embedding-of:", "top10"] { #expect(HeadExperiment(bad) == nil, "\(bad)") }
        // A stored cell with an unknown experiment is an error naming the file and the line.
        let root = try makeTemporaryDirectory("heads-cells")
        defer { try? FileManager.default.removeItem(at: root) }
        let url = root.appendingPathComponent("cells.csv")
        try Data((CSV.line(HeadEvaluationCell.header) + "antonym,top-zero,exact-match,3,abc,3,1,0.5,v,t\n").utf8).write(to: url)
        do {
            _ = try CSVStore<HeadEvaluationCell>(url: url)
            Issue.record("a cell with experiment 'top-zero' was read")
        } catch {
            #expect("\(error)".contains(url.path) && "\(error)".contains("experiment"), "\(error)")
        }
    }
}

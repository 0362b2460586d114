import Foundation
import ModelFormats
import Tensors
import Testing
@testable import Methods

/// A temporary folder removed when the test ends.
private final class TemporaryFolder {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tvb-heads-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The settings the artifacts of these tests are prepared with, unless a test says otherwise.
private let standardSettings = SettingsText(["steps": "4"])

/// Writes a SITE-like artifact of (L, H) = (2, 3), Dh 2, for model "m" through ArtifactCache; its folder.
private func writeArtifact(root: URL, task: String, logits: [Float] = [0, 1, -1, 2, -2, 0.5],
                           tensors: [String: Tensor]? = nil, settings: SettingsText = standardSettings) throws -> URL {
    let cache = ArtifactCache(root: root)
    let standard = ["alpha_logits": Tensor(shape: [2, 3], scalars: logits),
                    "task_embedding": Tensor(shape: [2, 6], scalars: (0..<12).map(Float.init))]
    try cache.save(model: "m", method: .site, task: task, settings: settings,
                   artifact: ArtifactCache.Artifact(tensors: tensors ?? standard, facts: ["best_step": "4"]))
    return cache.folder(model: "m", method: .site, task: task, settings: settings)
}

@Suite struct HeadAnalysisTests {
    @Test func readsAnArtifactBack() throws {
        let temp = try TemporaryFolder()
        let folder = try writeArtifact(root: temp.url, task: "antonym")
        let artifact = try SITEArtifact.load(folder: folder, task: "antonym")
        #expect(artifact.task == "antonym")
        #expect(artifact.layerCount == 2 && artifact.headCount == 3)
        #expect(artifact.settings["steps"] == "4" && artifact.facts["best_step"] == "4")
        #expect(artifact.alphas.scalars == [0, 1, -1, 2, -2, 0.5].map(sigmoidScalar))
        // Logits 0, 1, −1 / 2, −2, 0.5: largest 2 (1.0), 1 (0.1), 0.5 (1.2); smallest −2 (1.1), −1 (0.2), 0 (0.0).
        #expect(artifact.topHeads(3) == [AttentionHead(layer: 1, head: 0), AttentionHead(layer: 0, head: 1), AttentionHead(layer: 1, head: 2)])
        #expect(artifact.bottomHeads(3) == [AttentionHead(layer: 1, head: 1), AttentionHead(layer: 0, head: 2), AttentionHead(layer: 0, head: 0)])
        let all = try SITEArtifact.loadAll(from: ArtifactCache(root: temp.url), model: "m", settings: standardSettings)
        #expect(all.map(\.task) == ["antonym"] && all[0].alphaLogits == artifact.alphaLogits)
    }

    @Test func patchingSetsAlphaOneOnTheChosenHeadsOnly() throws {
        let temp = try TemporaryFolder()
        let artifact = try SITEArtifact.load(folder: try writeArtifact(root: temp.url, task: "antonym"), task: "antonym")
        let top = HeadInjection.patching(artifact.topHeads(2), of: artifact)
        #expect(top.weights.scalars == [0, 1, 0, 1, 0, 0])
        let bottom = HeadInjection.patching(artifact.bottomHeads(2), of: artifact)
        #expect(bottom.weights.scalars == [0, 0, 1, 0, 1, 0])
        #expect(top.embedding == artifact.taskEmbedding)
        // Interventions: one mix per layer, every row of the batch with the layer's weights and embedding.
        let interventions = top.interventions(batchSize: 2)
        #expect(interventions.count == 2)
        guard case .mixHeads(let target, let weights) = interventions[1].action else {
            Issue.record("expected a head mix")
            return
        }
        #expect(interventions[1].site == .attentionHeads(layer: 1))
        #expect(weights.value.scalars == [1, 0, 0, 1, 0, 0])
        let layerRow: [Float] = [6, 7, 8, 9, 10, 11]
        #expect(target.value.scalars == layerRow + layerRow)
    }

    @Test func crossTaskTakesAlphaOfOneAndEmbeddingOfTheOther() throws {
        let temp = try TemporaryFolder()
        let a = try SITEArtifact.load(folder: try writeArtifact(root: temp.url, task: "a"), task: "a")
        var b = a
        b.task = "b"
        b.taskEmbedding = Tensor(shape: [2, 6], repeating: 7)
        b.alphaLogits = Tensor(shape: [2, 3], repeating: 3)
        let injection = HeadInjection.crossTask(alphaFrom: a, embeddingFrom: b)
        #expect(injection.weights == a.alphas)
        #expect(injection.embedding == b.taskEmbedding)
    }

    @Test func missingFilesAreNamed() throws {
        let temp = try TemporaryFolder()
        let empty = temp.url.appendingPathComponent("antonym")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect(throws: HeadAnalysisError.missingArtifact(path: empty.appendingPathComponent("artifact.json").path)) {
            try SITEArtifact.load(folder: empty, task: "antonym")
        }
        let cache = ArtifactCache(root: temp.url)
        let site = temp.url.appendingPathComponent("m").appendingPathComponent("site")
        #expect(throws: HeadAnalysisError.noArtifacts(folder: site.path)) {
            try SITEArtifact.loadAll(from: cache, model: "m", settings: standardSettings)
        }
        // A task folder without an artifact in it.
        try FileManager.default.createDirectory(at: site.appendingPathComponent("antonym"), withIntermediateDirectories: true)
        #expect(throws: HeadAnalysisError.noArtifacts(folder: site.path)) {
            try SITEArtifact.loadAll(from: cache, model: "m", settings: standardSettings)
        }
        let folder = try writeArtifact(root: temp.url, task: "capitalize")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("artifact.safetensors"))
        #expect(throws: HeadAnalysisError.missingArtifact(path: folder.appendingPathComponent("artifact.safetensors").path)) {
            try SITEArtifact.load(folder: folder, task: "capitalize")
        }
        // A task asked for by name that has no artifact.
        #expect(throws: HeadAnalysisError.missingArtifact(path: site.appendingPathComponent("sentiment").path)) {
            try SITEArtifact.loadAll(from: cache, model: "m", settings: standardSettings, tasks: ["sentiment"])
        }
    }

    @Test func unreadableFilesAreNamed() throws {
        let temp = try TemporaryFolder()
        let folder = try writeArtifact(root: temp.url, task: "antonym")
        let json = folder.appendingPathComponent("artifact.json")
        try Data("{ not json".utf8).write(to: json)
        do {
            _ = try SITEArtifact.load(folder: folder, task: "antonym")
            Issue.record("a broken artifact.json was accepted")
        } catch let HeadAnalysisError.unreadableArtifact(path, _) {
            #expect(path == json.path)
        }
        let other = try writeArtifact(root: temp.url, task: "capitalize")
        let tensors = other.appendingPathComponent("artifact.safetensors")
        try Data([1, 2, 3]).write(to: tensors)
        do {
            _ = try SITEArtifact.load(folder: other, task: "capitalize")
            Issue.record("a truncated artifact.safetensors was accepted")
        } catch let HeadAnalysisError.unreadableArtifact(path, reason) {
            #expect(path == tensors.path)
            #expect(!reason.isEmpty)
        }
    }

    @Test func missingTensorsAndBadShapesAreNamed() throws {
        let temp = try TemporaryFolder()
        let noAlpha = try writeArtifact(root: temp.url, task: "a", tensors: ["task_embedding": Tensor(shape: [2, 6])])
        #expect(throws: HeadAnalysisError.missingTensor(name: "alpha_logits", path: noAlpha.appendingPathComponent("artifact.safetensors").path)) {
            try SITEArtifact.load(folder: noAlpha, task: "a")
        }
        let flat = try writeArtifact(root: temp.url, task: "b", tensors: ["alpha_logits": Tensor(shape: [6]), "task_embedding": Tensor(shape: [2, 6])])
        #expect(throws: HeadAnalysisError.badShape(name: "alpha_logits", path: flat.appendingPathComponent("artifact.safetensors").path,
                                                   expected: "(L, H)", found: [6])) {
            try SITEArtifact.load(folder: flat, task: "b")
        }
        let ragged = try writeArtifact(root: temp.url, task: "c", tensors: ["alpha_logits": Tensor(shape: [2, 3]), "task_embedding": Tensor(shape: [2, 7])])
        #expect(throws: HeadAnalysisError.badShape(name: "task_embedding", path: ragged.appendingPathComponent("artifact.safetensors").path,
                                                   expected: "(2, 3·Dh)", found: [2, 7])) {
            try SITEArtifact.load(folder: ragged, task: "c")
        }
    }

    @Test func artifactsOfDifferentShapesAreRefusedTogether() throws {
        let temp = try TemporaryFolder()
        _ = try writeArtifact(root: temp.url, task: "a")
        _ = try writeArtifact(root: temp.url, task: "b", tensors: ["alpha_logits": Tensor(shape: [1, 3]), "task_embedding": Tensor(shape: [1, 6])])
        let cache = ArtifactCache(root: temp.url)
        #expect(throws: HeadAnalysisError.mismatchedShapes(task: "a", shape: [2, 6], otherTask: "b", otherShape: [1, 6])) {
            try SITEArtifact.loadAll(from: cache, model: "m", settings: standardSettings)
        }
        #expect(try SITEArtifact.loadAll(from: cache, model: "m", settings: standardSettings, tasks: ["b"]).map(\.task) == ["b"])
        #expect("\(HeadAnalysisError.noArtifacts(folder: "/x"))".contains("/x"))
    }

    /// Each setting keeps its own artifact: a bfloat16 run beside float32 ones replaces nothing,
    /// and the analysis reads only the artifacts of the settings it asks for.
    @Test func theAnalysisReadsTheArtifactsOfItsOwnSettings() throws {
        let temp = try TemporaryFolder()
        let float32 = standardSettings, bfloat16 = standardSettings.merging(["compute": "bfloat16"])
        for task in ["a", "b", "c"] { _ = try writeArtifact(root: temp.url, task: task, settings: float32) }
        for task in ["b", "d"] { _ = try writeArtifact(root: temp.url, task: task, logits: [3, 3, 3, 3, 3, 3], settings: bfloat16) }
        let cache = ArtifactCache(root: temp.url)
        let asFloat32 = try SITEArtifact.loadAll(from: cache, model: "m", settings: float32)
        #expect(asFloat32.map(\.task) == ["a", "b", "c"] && asFloat32.allSatisfy { $0.settings == float32 })
        #expect(asFloat32[1].alphaLogits.scalars == [0, 1, -1, 2, -2, 0.5], "b's float32 artifact survived the bfloat16 one")
        let asBfloat16 = try SITEArtifact.loadAll(from: cache, model: "m", settings: bfloat16)
        #expect(asBfloat16.map(\.task) == ["b", "d"] && asBfloat16.allSatisfy { $0.alphaLogits.scalars == [3, 3, 3, 3, 3, 3] })
        #expect(cache.storedFolders(model: "m", method: .site, task: "b").count == 2)

        // Settings nobody prepared: the error names what is stored instead and how it differs.
        let seed1 = standardSettings.merging(["seed": "1"])
        let site = temp.url.appendingPathComponent("m").appendingPathComponent("site")
        let expected = HeadAnalysisError.settingsNotFound(folder: site.path, wanted: seed1, stored: [float32: ["a", "b", "c"], bfloat16: ["b", "d"]])
        #expect(throws: expected) { try SITEArtifact.loadAll(from: cache, model: "m", settings: seed1) }
        #expect("\(expected)" == "no SITE artifact under \(site.path) was prepared with the settings asked for; stored instead: "
            + "seed=(unset) (asked 1) in 3 task(s) (a, b, c); compute=bfloat16 (asked (unset)), seed=(unset) (asked 1) in 2 task(s) (b, d). "
            + "Give the --seed and --compute they were run with, or prepare them with `bench run --methods site`.")
        // A task asked for by name without an artifact of these settings.
        #expect(throws: HeadAnalysisError.settingsNotFound(folder: site.appendingPathComponent("d").path, wanted: float32, stored: [bfloat16: ["d"]])) {
            try SITEArtifact.loadAll(from: cache, model: "m", settings: float32, tasks: ["a", "d"])
        }
    }

    /// Artifacts written before each setting had a folder (in the task's folder itself) are still
    /// read, by the cache and by the analysis, when their settings match; new ones go beside them.
    @Test func legacyArtifactsAreStillRead() throws {
        let temp = try TemporaryFolder()
        let cache = ArtifactCache(root: temp.url)
        let keyed = try writeArtifact(root: temp.url, task: "a")
        let legacy = cache.taskFolder(model: "m", method: .site, task: "a")
        for name in ["artifact.json", "artifact.safetensors"] {
            try FileManager.default.moveItem(at: keyed.appendingPathComponent(name), to: legacy.appendingPathComponent(name))
        }
        try FileManager.default.removeItem(at: keyed)
        let loaded = try #require(try cache.load(model: "m", method: .site, task: "a", settings: standardSettings))
        #expect(loaded.path == legacy.path && loaded.tensors["alpha_logits"]?.scalars == [0, 1, -1, 2, -2, 0.5])
        #expect(try cache.load(model: "m", method: .site, task: "a", settings: standardSettings.merging(["seed": "1"])) == nil)
        #expect(try SITEArtifact.loadAll(from: cache, model: "m", settings: standardSettings).map(\.task) == ["a"])
        // Another setting is saved in its own folder; the legacy artifact stays.
        _ = try writeArtifact(root: temp.url, task: "a", logits: [1, 1, 1, 1, 1, 1], settings: standardSettings.merging(["seed": "1"]))
        #expect(cache.storedFolders(model: "m", method: .site, task: "a").map(\.path)
                == [legacy.path, cache.folder(model: "m", method: .site, task: "a", settings: standardSettings.merging(["seed": "1"])).path])
        #expect(try SITEArtifact.loadAll(from: cache, model: "m", settings: standardSettings)[0].alphaLogits.scalars == [0, 1, -1, 2, -2, 0.5])
    }
}

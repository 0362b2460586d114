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

/// Writes a SITE-like artifact of (L, H) = (2, 3), Dh 2, under `root/<task>` through ArtifactCache.
private func writeArtifact(root: URL, task: String, logits: [Float] = [0, 1, -1, 2, -2, 0.5],
                           tensors: [String: Tensor]? = nil, settings: SettingsText = SettingsText(["steps": "4"])) throws -> URL {
    let cache = ArtifactCache(root: root)
    let standard = ["alpha_logits": Tensor(shape: [2, 3], scalars: logits),
                    "task_embedding": Tensor(shape: [2, 6], scalars: (0..<12).map(Float.init))]
    try cache.save(model: "m", method: .site, task: task, settings: settings,
                   artifact: ArtifactCache.Artifact(tensors: tensors ?? standard, facts: ["best_step": "4"]))
    return cache.folder(model: "m", method: .site, task: task)
}

@Suite struct HeadAnalysisTests {
    @Test func readsAnArtifactBack() throws {
        let temp = try TemporaryFolder()
        let folder = try writeArtifact(root: temp.url, task: "antonym")
        let artifact = try SITEArtifact.load(folder: folder)
        #expect(artifact.task == "antonym")
        #expect(artifact.layerCount == 2 && artifact.headCount == 3)
        #expect(artifact.settings["steps"] == "4" && artifact.facts["best_step"] == "4")
        #expect(artifact.alphas.scalars == [0, 1, -1, 2, -2, 0.5].map(sigmoidScalar))
        // Logits 0, 1, −1 / 2, −2, 0.5: largest 2 (1.0), 1 (0.1), 0.5 (1.2); smallest −2 (1.1), −1 (0.2), 0 (0.0).
        #expect(artifact.topHeads(3) == [AttentionHead(layer: 1, head: 0), AttentionHead(layer: 0, head: 1), AttentionHead(layer: 1, head: 2)])
        #expect(artifact.bottomHeads(3) == [AttentionHead(layer: 1, head: 1), AttentionHead(layer: 0, head: 2), AttentionHead(layer: 0, head: 0)])
        let all = try SITEArtifact.loadAll(in: folder.deletingLastPathComponent())
        #expect(all.map(\.task) == ["antonym"])
    }

    @Test func patchingSetsAlphaOneOnTheChosenHeadsOnly() throws {
        let temp = try TemporaryFolder()
        let artifact = try SITEArtifact.load(folder: try writeArtifact(root: temp.url, task: "antonym"))
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
        let a = try SITEArtifact.load(folder: try writeArtifact(root: temp.url, task: "a"))
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
            try SITEArtifact.load(folder: empty)
        }
        #expect(throws: HeadAnalysisError.noArtifacts(folder: temp.url.path)) { try SITEArtifact.loadAll(in: temp.url) }
        #expect(throws: HeadAnalysisError.noArtifacts(folder: temp.url.appendingPathComponent("nowhere").path)) {
            try SITEArtifact.loadAll(in: temp.url.appendingPathComponent("nowhere"))
        }
        let folder = try writeArtifact(root: temp.url, task: "capitalize")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("artifact.safetensors"))
        #expect(throws: HeadAnalysisError.missingArtifact(path: folder.appendingPathComponent("artifact.safetensors").path)) {
            try SITEArtifact.load(folder: folder)
        }
        // A task asked for by name that has no folder.
        #expect(throws: HeadAnalysisError.self) { try SITEArtifact.loadAll(in: temp.url, tasks: ["sentiment"]) }
    }

    @Test func unreadableFilesAreNamed() throws {
        let temp = try TemporaryFolder()
        let folder = try writeArtifact(root: temp.url, task: "antonym")
        let json = folder.appendingPathComponent("artifact.json")
        try Data("{ not json".utf8).write(to: json)
        do {
            _ = try SITEArtifact.load(folder: folder)
            Issue.record("a broken artifact.json was accepted")
        } catch let HeadAnalysisError.unreadableArtifact(path, _) {
            #expect(path == json.path)
        }
        let other = try writeArtifact(root: temp.url, task: "capitalize")
        let tensors = other.appendingPathComponent("artifact.safetensors")
        try Data([1, 2, 3]).write(to: tensors)
        do {
            _ = try SITEArtifact.load(folder: other)
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
            try SITEArtifact.load(folder: noAlpha)
        }
        let flat = try writeArtifact(root: temp.url, task: "b", tensors: ["alpha_logits": Tensor(shape: [6]), "task_embedding": Tensor(shape: [2, 6])])
        #expect(throws: HeadAnalysisError.badShape(name: "alpha_logits", path: flat.appendingPathComponent("artifact.safetensors").path,
                                                   expected: "(L, H)", found: [6])) {
            try SITEArtifact.load(folder: flat)
        }
        let ragged = try writeArtifact(root: temp.url, task: "c", tensors: ["alpha_logits": Tensor(shape: [2, 3]), "task_embedding": Tensor(shape: [2, 7])])
        #expect(throws: HeadAnalysisError.badShape(name: "task_embedding", path: ragged.appendingPathComponent("artifact.safetensors").path,
                                                   expected: "(2, 3·Dh)", found: [2, 7])) {
            try SITEArtifact.load(folder: ragged)
        }
    }

    @Test func artifactsOfDifferentShapesAreRefusedTogether() throws {
        let temp = try TemporaryFolder()
        _ = try writeArtifact(root: temp.url, task: "a")
        _ = try writeArtifact(root: temp.url, task: "b", tensors: ["alpha_logits": Tensor(shape: [1, 3]), "task_embedding": Tensor(shape: [1, 6])])
        let site = temp.url.appendingPathComponent("m").appendingPathComponent("site")
        #expect(throws: HeadAnalysisError.mismatchedShapes(task: "a", shape: [2, 6], otherTask: "b", otherShape: [1, 6])) {
            try SITEArtifact.loadAll(in: site)
        }
        #expect(try SITEArtifact.loadAll(in: site, tasks: ["b"]).map(\.task) == ["b"])
        #expect("\(HeadAnalysisError.noArtifacts(folder: "/x"))".contains("/x"))
    }

    /// The cache keeps one artifact per task: a run under another precision replaces some tasks'
    /// artifacts, and an analysis over all of them would mix two experiments without saying so.
    @Test func artifactsOfDifferentSettingsAreRefusedTogether() throws {
        let temp = try TemporaryFolder()
        let float32 = SettingsText(["steps": "4"]), bfloat16 = SettingsText(["steps": "4", "compute": "bfloat16"])
        for task in ["a", "b", "c"] { _ = try writeArtifact(root: temp.url, task: task, settings: float32) }
        _ = try writeArtifact(root: temp.url, task: "d", settings: bfloat16)
        let site = temp.url.appendingPathComponent("m").appendingPathComponent("site")
        let expected = HeadAnalysisError.mixedSettings(folder: site.path, tasksBySettings: [float32: ["a", "b", "c"], bfloat16: ["d"]])
        #expect(throws: expected) { try SITEArtifact.loadAll(in: site) }
        #expect("\(expected)" == "SITE artifacts under \(site.path) were prepared with 2 different settings, which one analysis must not "
            + "mix: compute=(unset) in 3 task(s) (a, b, c); compute=bfloat16 in 1 task(s) (d). Analyse one setting at a time "
            + "(each setting's artifacts under its own --artifacts folder).")
        // Tasks of one setting still load together.
        #expect(try SITEArtifact.loadAll(in: site, tasks: ["a", "c"]).map(\.task) == ["a", "c"])
    }
}

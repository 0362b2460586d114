// Shape legend: L layers, H heads, Dh head dim.
import Foundation
import Tensors

/// A SITE artifact read back from `<root>/<model>/site/<task>/` (see `ArtifactCache`) for
/// analysis, whatever settings produced it.
public struct SITEArtifact: Sendable {
    public var task: String
    /// (L, H); α = sigmoid(logits).
    public var alphaLogits: Tensor
    /// (L, H·Dh): the mean head outputs mixed in.
    public var taskEmbedding: Tensor
    /// The settings and facts recorded with it (empty when absent).
    public var settings: SettingsText
    public var facts: [String: String]

    public init(task: String, alphaLogits: Tensor, taskEmbedding: Tensor,
                settings: SettingsText = SettingsText(), facts: [String: String] = [:]) {
        self.task = task
        self.alphaLogits = alphaLogits
        self.taskEmbedding = taskEmbedding
        self.settings = settings
        self.facts = facts
    }

    public var layerCount: Int { alphaLogits.shape[0] }
    public var headCount: Int { alphaLogits.shape[1] }
    /// (L, H) mixing weights in (0, 1).
    public var alphas: Tensor { alphaLogits.map(sigmoidScalar) }

    /// Reads the artifact in `folder` (its task name is the folder's name).
    /// - Throws: `HeadAnalysisError` when a file is missing or unreadable, a tensor is missing,
    ///   or the shapes disagree (alpha_logits (L, H), task_embedding (L, H·Dh)).
    public static func load(folder: URL) throws -> SITEArtifact {
        let jsonURL = folder.appendingPathComponent("artifact.json")
        let tensorsURL = folder.appendingPathComponent("artifact.safetensors")
        for url in [jsonURL, tensorsURL] where !FileManager.default.fileExists(atPath: url.path) {
            throw HeadAnalysisError.missingArtifact(path: url.path)
        }
        let record: ArtifactCache.StoredRecord
        do {
            record = try ArtifactCache.StoredRecord.decode(Data(contentsOf: jsonURL))
        } catch {
            throw HeadAnalysisError.unreadableArtifact(path: jsonURL.path, reason: "\(error)")
        }
        let tensors: [String: Tensor]
        do {
            tensors = try ArtifactCache.readTensors(tensorsURL)
        } catch {
            throw HeadAnalysisError.unreadableArtifact(path: tensorsURL.path, reason: "\(error)")
        }
        func tensor(_ name: String) throws -> Tensor {
            guard let t = tensors[name] else { throw HeadAnalysisError.missingTensor(name: name, path: tensorsURL.path) }
            return t
        }
        let logits = try tensor("alpha_logits")
        guard logits.shape.count == 2, logits.shape[0] > 0, logits.shape[1] > 0 else {
            throw HeadAnalysisError.badShape(name: "alpha_logits", path: tensorsURL.path, expected: "(L, H)", found: logits.shape)
        }
        let embedding = try tensor("task_embedding")
        let (l, h) = (logits.shape[0], logits.shape[1])
        guard embedding.shape.count == 2, embedding.shape[0] == l, embedding.shape[1] > 0, embedding.shape[1] % h == 0 else {
            throw HeadAnalysisError.badShape(name: "task_embedding", path: tensorsURL.path, expected: "(\(l), \(h)·Dh)", found: embedding.shape)
        }
        return SITEArtifact(
            task: folder.lastPathComponent, alphaLogits: logits, taskEmbedding: embedding,
            settings: SettingsText(record.settings ?? [:]), facts: record.facts ?? [:])
    }

    /// The artifacts of `tasks` (every task folder when nil, sorted by name) under `folder`,
    /// e.g. results/artifacts/<model>/site.
    /// - Throws: `HeadAnalysisError.noArtifacts` when there is none, what `load` throws,
    ///   `.mismatchedShapes` when two disagree in shape, and `.mixedSettings` when they were not
    ///   all prepared with the same settings (the cache keeps one artifact per task, so a run
    ///   under another precision or seed replaces some of them).
    public static func loadAll(in folder: URL, tasks: [String]? = nil) throws -> [SITEArtifact] {
        let names: [String]
        if let tasks {
            names = tasks
        } else {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            names = entries.filter {
                FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).appendingPathComponent("artifact.json").path)
            }.sorted()
        }
        guard !names.isEmpty else { throw HeadAnalysisError.noArtifacts(folder: folder.path) }
        let artifacts = try names.map { try load(folder: folder.appendingPathComponent($0)) }
        for a in artifacts.dropFirst() where a.alphaLogits.shape != artifacts[0].alphaLogits.shape
            || a.taskEmbedding.shape != artifacts[0].taskEmbedding.shape {
            throw HeadAnalysisError.mismatchedShapes(task: artifacts[0].task, shape: artifacts[0].taskEmbedding.shape,
                                                     otherTask: a.task, otherShape: a.taskEmbedding.shape)
        }
        let bySettings = Dictionary(grouping: artifacts, by: \.settings).mapValues { $0.map(\.task) }
        if bySettings.count > 1 { throw HeadAnalysisError.mixedSettings(folder: folder.path, tasksBySettings: bySettings) }
        return artifacts
    }
}

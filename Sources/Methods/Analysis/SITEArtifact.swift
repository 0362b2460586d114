// Shape legend: L layers, H heads, Dh head dim.
import Foundation
import Tensors

/// A SITE artifact read back from the artifact cache (`<root>/<model>/site/<task>/…`, see
/// `ArtifactCache`) for analysis.
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

    /// Reads the artifact of `task` in `folder` (one of `ArtifactCache.storedFolders`).
    /// - Throws: `HeadAnalysisError` when a file is missing or unreadable, a tensor is missing,
    ///   or the shapes disagree (alpha_logits (L, H), task_embedding (L, H·Dh)).
    public static func load(folder: URL, task: String) throws -> SITEArtifact {
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
            task: task, alphaLogits: logits, taskEmbedding: embedding,
            settings: SettingsText(record.settings ?? [:]), facts: record.facts ?? [:])
    }

    /// The artifacts of `tasks` prepared with `settings` (by default every task that has one, sorted
    /// by name) for `model` in `cache`. The cache keeps every setting's artifact apart, so one
    /// analysis reads one experiment's artifacts and never mixes precisions or seeds.
    /// - Throws: `HeadAnalysisError.noArtifacts` when the model has no SITE artifact at all,
    ///   `.settingsNotFound` when no task (or a task asked for) has one of `settings` (it names
    ///   the settings stored instead), what `load` throws, and `.mismatchedShapes` when two
    ///   disagree in shape.
    public static func loadAll(from cache: ArtifactCache, model: String, settings: SettingsText,
                               tasks: [String]? = nil) throws -> [SITEArtifact] {
        let siteFolder = cache.root.appendingPathComponent(model).appendingPathComponent(MethodName.site.description)
        // Every task folder when none are named: one without an artifact is passed over below.
        let names = tasks ?? ((try? FileManager.default.contentsOfDirectory(atPath: siteFolder.path)) ?? []).sorted()
        var chosen = [(task: String, folder: URL)]()
        var stored = [SettingsText: [String]]()
        for task in names {
            var found: URL?
            for folder in cache.storedFolders(model: model, method: .site, task: task) {
                let record = try storedSettings(folder)
                if record == settings { found = folder } else { stored[record, default: []].append(task) }
            }
            if let found {
                chosen.append((task, found))
            } else if tasks != nil {
                let folder = cache.taskFolder(model: model, method: .site, task: task).path
                let own = stored.filter { $0.value.contains(task) }.mapValues { _ in [task] }
                throw own.isEmpty ? HeadAnalysisError.missingArtifact(path: folder)
                    : HeadAnalysisError.settingsNotFound(folder: folder, wanted: settings, stored: own)
            }
        }
        if chosen.isEmpty {
            throw stored.isEmpty ? HeadAnalysisError.noArtifacts(folder: siteFolder.path)
                : HeadAnalysisError.settingsNotFound(folder: siteFolder.path, wanted: settings, stored: stored)
        }
        let artifacts = try chosen.map { try load(folder: $0.folder, task: $0.task) }
        for a in artifacts.dropFirst() where a.alphaLogits.shape != artifacts[0].alphaLogits.shape
            || a.taskEmbedding.shape != artifacts[0].taskEmbedding.shape {
            throw HeadAnalysisError.mismatchedShapes(task: artifacts[0].task, shape: artifacts[0].taskEmbedding.shape,
                                                     otherTask: a.task, otherShape: a.taskEmbedding.shape)
        }
        return artifacts
    }

    /// The tasks with at least one SITE artifact for `model` in `cache`, whatever its settings.
    public static func tasks(in cache: ArtifactCache, model: String) -> Set<String> {
        let siteFolder = cache.root.appendingPathComponent(model).appendingPathComponent(MethodName.site.description)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: siteFolder.path)) ?? []
        return Set(names.filter { !cache.storedFolders(model: model, method: .site, task: $0).isEmpty })
    }

    /// The settings recorded in `folder`'s artifact.json.
    /// - Throws: `HeadAnalysisError.unreadableArtifact` when it is not an artifact record.
    private static func storedSettings(_ folder: URL) throws -> SettingsText {
        let url = folder.appendingPathComponent("artifact.json")
        do {
            return SettingsText(try ArtifactCache.StoredRecord.decode(Data(contentsOf: url)).settings ?? [:])
        } catch {
            throw HeadAnalysisError.unreadableArtifact(path: url.path, reason: "\(error)")
        }
    }
}

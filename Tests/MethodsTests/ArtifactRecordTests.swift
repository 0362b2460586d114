import Foundation
import Tensors
import Testing
@testable import Methods

/// artifact.json keeps the layout of the artifacts already stored (results/artifacts): model,
/// method, task, the settings with the seed and the model, their hash, the facts.
@Suite struct ArtifactRecordTests {
    @Test func writtenRecordIsTheStoredLayout() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("artifact-record-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = ArtifactCache(root: root)
        let method = FunctionVectorMethod()
        let facts = ["heads": "20.5,14.1", "seconds": "64.5", "path/like": "a/b"]
        try cache.save(model: "smollm2-135m", method: method.name, task: "antonym",
                       settings: method.artifactSettings(seed: 0, model: "smollm2-135m"),
                       artifact: ArtifactCache.Artifact(tensors: ["function_vector": Tensor(shape: [2], scalars: [1, 2])], facts: facts))
        let folder = cache.folder(model: "smollm2-135m", method: .functionVectors, task: "antonym",
                                  settings: method.artifactSettings(seed: 0, model: "smollm2-135m"))
        #expect(folder.path.hasSuffix("smollm2-135m/function-vectors/antonym/f86f804c1da6e963"), "a folder per settings, named by their hash")
        let data = try Data(contentsOf: folder.appendingPathComponent("artifact.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(json.keys) == ["model", "method", "task", "settings", "settings_hash", "facts"])
        #expect(json["model"] as? String == "smollm2-135m" && json["method"] as? String == "function-vectors" && json["task"] as? String == "antonym")
        #expect(json["settings"] as? [String: String] == [
            "clean_prompts": "100", "corrupted_prompts": "25", "model": "smollm2-135m", "seed": "0", "shots": "10", "top_heads": "10"])
        #expect(json["settings_hash"] as? String == "f86f804c1da6e963b3abca31ab92b8d408fd0009f8da67b7c1c7efaf5f15c47d")
        #expect(json["facts"] as? [String: String] == facts)
        #expect(String(decoding: data, as: UTF8.self).contains("\"path/like\" : \"a/b\""), "slashes are not escaped")
        // And it loads back for the same settings only.
        let loaded = try #require(try cache.load(model: "smollm2-135m", method: method.name, task: "antonym",
                                                 settings: method.artifactSettings(seed: 0, model: "smollm2-135m")))
        #expect(loaded.facts == facts && loaded.tensors["function_vector"]?.scalars == [1, 2])
        #expect(try cache.load(model: "smollm2-135m", method: method.name, task: "antonym",
                               settings: method.artifactSettings(seed: 1, model: "smollm2-135m")) == nil)
    }

    /// `contains` answers from the JSON record alone: true for the stored settings (even when the
    /// tensors file is damaged, which `load` then reports), false for others or an empty cache,
    /// and a clear error for a record without a settings hash.
    @Test func containsReadsTheRecordOnly() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("artifact-contains-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = ArtifactCache(root: root)
        let method = FunctionVectorMethod()
        let seed0 = method.artifactSettings(seed: 0, model: "smollm2-135m"), seed1 = method.artifactSettings(seed: 1, model: "smollm2-135m")
        #expect(try !cache.contains(model: "smollm2-135m", method: .functionVectors, task: "antonym", settings: seed0))
        try cache.save(model: "smollm2-135m", method: .functionVectors, task: "antonym", settings: seed0,
                       artifact: ArtifactCache.Artifact(tensors: ["function_vector": Tensor(shape: [2], scalars: [1, 2])], facts: [:]))
        #expect(try cache.contains(model: "smollm2-135m", method: .functionVectors, task: "antonym", settings: seed0))
        #expect(try !cache.contains(model: "smollm2-135m", method: .functionVectors, task: "antonym", settings: seed1))
        #expect(try !cache.contains(model: "smollm2-135m", method: .functionVectors, task: "synonym", settings: seed0))

        let folder = cache.folder(model: "smollm2-135m", method: .functionVectors, task: "antonym", settings: seed0)
        try Data("not safetensors".utf8).write(to: folder.appendingPathComponent("artifact.safetensors"))
        #expect(try cache.contains(model: "smollm2-135m", method: .functionVectors, task: "antonym", settings: seed0))
        #expect(throws: MethodError.self) { try cache.load(model: "smollm2-135m", method: .functionVectors, task: "antonym", settings: seed0) }

        try Data("{\"model\": \"smollm2-135m\"}".utf8).write(to: folder.appendingPathComponent("artifact.json"))
        let error = #expect(throws: MethodError.self) {
            try cache.contains(model: "smollm2-135m", method: .functionVectors, task: "antonym", settings: seed0)
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains(folder.appendingPathComponent("artifact.json").path))
    }
}

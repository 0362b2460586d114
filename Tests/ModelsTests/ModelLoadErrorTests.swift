import Foundation
import Testing
import ModelFormats
import Models
import TestSupport

@Suite struct ModelLoadErrorTests {
    func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tvb-load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func unknownArchitectureNamesTheSupportedOnes() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"model_type": "bert", "hidden_size": 8}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        do {
            _ = try DecoderLoader.load(huggingFaceFolder: folder)
            Issue.record("a bert config loaded")
        } catch let error as ModelLoadError {
            guard case .unsupportedArchitecture(let name, let supported, let file) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(name == "bert" && file.hasSuffix("config.json"))
            #expect(Set(supported).isSuperset(of: ["llama", "mistral", "mixtral", "qwen3", "gemma3_text"]))
            #expect(error.description.contains("supported: ") && error.description.contains("qwen3"))
        }
    }

    @Test func configWithAMissingKeyNamesTheFileAndKey() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"model_type": "llama", "hidden_size": 8}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        #expect {
            try DecoderLoader.load(huggingFaceFolder: folder)
        } throws: { error in
            let text = "\(error)"
            return text.contains("config.json") && text.contains("vocab_size")
        }
    }

    @Test func missingShardIsNamed() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let tiny = SharedPaths.reference.appendingPathComponent("tiny/llama")
        try FileManager.default.copyItem(at: tiny.appendingPathComponent("config.json"), to: folder.appendingPathComponent("config.json"))
        try Data(#"{"metadata": {}, "weight_map": {"model.embed_tokens.weight": "model-00001-of-00002.safetensors"}}"#.utf8)
            .write(to: folder.appendingPathComponent("model.safetensors.index.json"))
        #expect {
            try DecoderLoader.load(huggingFaceFolder: folder)
        } throws: { error in "\(error)".contains("model-00001-of-00002.safetensors") }
    }

    @Test func missingModelSaysWhereItLookedAndHowToGetIt() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let locator = ModelLocator(store: ModelStore(directory: folder), environment: ["HF_HOME": folder.path, "HOME": folder.path])
        do {
            _ = try locator.locate("meta-llama/Llama-3.1-8B")
            Issue.record("a missing model was found")
        } catch let error as ModelLoadError {
            let text = error.description
            #expect(text.contains(folder.appendingPathComponent("hub/models--meta-llama--Llama-3.1-8B/snapshots").path))
            #expect(text.contains("huggingface-cli download"))
        }
    }

    @Test func huggingFaceCacheSnapshotResolves() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let repo = folder.appendingPathComponent("hub/models--tiny--llama")
        let snapshot = repo.appendingPathComponent("snapshots/abc123")
        try FileManager.default.createDirectory(at: snapshot, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try Data("abc123\n".utf8).write(to: repo.appendingPathComponent("refs/main"))
        for file in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: SharedPaths.reference.appendingPathComponent("tiny/llama/\(file)"), to: snapshot.appendingPathComponent(file))
        }
        let locator = ModelLocator(store: ModelStore(directory: folder), environment: ["HF_HOME": folder.path])
        let location = try locator.locate("tiny/llama")
        guard case .huggingFaceFolder(let found) = location else { Issue.record("not a folder: \(location)"); return }
        #expect(found.standardizedFileURL.path == snapshot.standardizedFileURL.path)
        #expect(try DecoderLoader.load(huggingFaceFolder: location.url).configuration.layerCount == 3)
    }
}

import Foundation
import Testing
import ModelFormats
import TestSupport

/// Fixture or model file that must exist; a missing one fails the test with its path.
func requireFile(_ url: URL, sourceLocation: SourceLocation = #_sourceLocation) throws -> URL {
    try #require(FileManager.default.fileExists(atPath: url.path),
                 "\(MissingModelFile(path: url.path))", sourceLocation: sourceLocation)
    return url
}

@Suite struct GGUFRealFileTests {
    @Test func smolLM2Parses() throws {
        let file = try GGUFFile(contentsOf: requireFile(SharedPaths.smolLM2))
        #expect(file.version == 3)
        #expect(try file.architecture() == "llama")
        #expect(try file.int("llama.block_count") == 30)
        #expect(try file.int("llama.attention.head_count") == 9)
        #expect(try file.int("llama.attention.head_count_kv") == 3)
        #expect(try file.int("llama.embedding_length") == 576)
        #expect(try file.int("llama.rope.dimension_count") == 64)
        #expect(try file.strings("tokenizer.ggml.tokens").count == 49152)
        #expect(file.dataOffset % file.alignment == 0)
        let embedding = try file.tensorInfo(named: "token_embd.weight")
        #expect(embedding.dimensions == [576, 49152])
        #expect(embedding.rowLength == 576 && embedding.rowCount == 49152)
        let q = try file.tensorInfo(named: "blk.0.attn_q.weight")
        #expect(q.type == .q4_1)
        #expect(q.byteCount == 576 * 576 / 32 * 20)
        #expect(file.tensors.count == 30 * 9 + 2)
        #expect(file.hasTensor(named: "output_norm.weight"))
        #expect(!file.hasTensor(named: "output.weight"))  // tied to token_embd in this file
        print("SmolLM2 metadata keys:", file.metadataKeys)
    }

    @Test func gemma3Parses() throws {
        let started = Date()
        let file = try GGUFFile(contentsOf: requireFile(SharedPaths.gemma3))
        let elapsed = Date().timeIntervalSince(started)
        #expect(try file.architecture() == "gemma3")
        #expect(try file.int("gemma3.block_count") == 18)
        #expect(try file.int("gemma3.attention.sliding_window") == 512)
        #expect(try file.strings("tokenizer.ggml.tokens").count == 262_144)
        #expect(try file.floats("tokenizer.ggml.scores").count == 262_144)
        #expect(try file.tensorInfo(named: "blk.0.attn_q.weight").dimensions == [640, 1024])
        print("Gemma3 parse time \(elapsed) s; metadata keys:", file.metadataKeys)
        // Debug builds are slower than release; the budget for release is 0.5 s.
        #expect(elapsed < 3.0)
    }

    @Test(arguments: ["gpt-2", "llama-bpe", "qwen2", "llama-spm"])
    func vocabOnlyFilesParse(name: String) throws {
        let url = SharedPaths.reference.appendingPathComponent("tokenizer/ggml-vocab-\(name).gguf")
        let file = try GGUFFile(contentsOf: requireFile(url))
        #expect(file.tensors.isEmpty)
        let tokens = try file.strings("tokenizer.ggml.tokens")
        #expect(tokens.count > 30_000)
        #expect(try file.string("tokenizer.ggml.model").isEmpty == false)
    }

    @Test func missingTensorAndKeyAreNamed() throws {
        let file = try GGUFFile(contentsOf: requireFile(SharedPaths.smolLM2))
        #expect(throws: ModelFormatError.missingTensor(path: SharedPaths.smolLM2.path, tensor: "nope.weight")) {
            try file.tensorInfo(named: "nope.weight")
        }
        #expect(throws: ModelFormatError.missingMetadata(path: SharedPaths.smolLM2.path, key: "llama.nope")) {
            try file.int("llama.nope")
        }
        #expect(throws: ModelFormatError.metadataTypeMismatch(path: SharedPaths.smolLM2.path,
                                                              key: "general.architecture",
                                                              expected: "integer", found: "string")) {
            try file.int("general.architecture")
        }
        #expect(try file.optionalInt("llama.nope") == nil)
    }
}

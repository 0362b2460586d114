// Shapes: weight matrices (O, I); logits (N, V).
import Foundation
import Testing
import ModelFormats
import Models
import Tensors
import TestSupport

/// Safetensors weights load in their stored width: F32/F16/BF16 matrices are views into the
/// mapped file, and a bf16 checkpoint runs without a Float32 copy of its weights.
@Suite struct WeightLoadingTests {
    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tvb-weights-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Deterministic values spread over several binades, negative and positive.
    func values(_ count: Int, seed: Int) -> [Float] {
        (0..<count).map { Float((($0 + 1) * 7919 + seed * 104_729) % 2001 - 1000) / 97 }
    }

    @Test func matricesLoadAsViewsInTheirStoredWidth() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = values(35, seed: 1), b = values(12, seed: 2), c = values(6, seed: 3), d = values(4, seed: 4)
        // Wider types first, as checkpoints order them, so every tensor is aligned; "g" follows
        // 70 bytes of bf16 and is not.
        try SafetensorsBytes.write([
            .init(name: "d", dtype: "F64", shape: [2, 2], bytes: SafetensorsBytes.bytes(d.map(Double.init))),
            .init(name: "c", dtype: "F32", shape: [2, 3], bytes: SafetensorsBytes.bytes(c)),
            .init(name: "e", dtype: "F32", shape: [2, 1, 2], bytes: SafetensorsBytes.bytes(d)),
            .init(name: "f", dtype: "I32", shape: [1, 1], bytes: [1, 0, 0, 0]),
            .init(name: "b", dtype: "F16", shape: [3, 4], bytes: SafetensorsBytes.bytes(b.map(float16Bits))),
            .init(name: "a", dtype: "BF16", shape: [5, 7], bytes: SafetensorsBytes.bytes(a.map(bfloat16Bits))),
            .init(name: "g", dtype: "F32", shape: [2, 3], bytes: SafetensorsBytes.bytes(c)),
        ], to: folder.appendingPathComponent("model.safetensors"))

        var source: SafetensorsWeights? = try SafetensorsWeights(folder: folder)
        let ma = try source!.matrix("a"), mb = try source!.matrix("b"), mc = try source!.matrix("c")
        let md = try source!.matrix("d")
        #expect(ma.storageType == .bfloat16 && ma.isView && ma.shape == [5, 7] && ma.byteCount == 70)
        #expect(mb.storageType == .float16 && mb.isView && mb.shape == [3, 4])
        #expect(mc.storageType == .float32 && mc.isView && mc.floats() == c)
        #expect(md.storageType == .float32 && !md.isView && md.floats() == d)
        let mg = try source!.matrix("g")
        #expect(mg.storageType == .float32 && !mg.isView && mg.floats() == c, "misaligned bytes are copied")
        // Within bf16 (8 significant bits) and half (11 bits) precision of the Float32 numbers.
        #expect(zip(ma.floats(), a).allSatisfy { abs($0 - $1) <= 0x1p-8 * abs($1) })
        #expect(ma.floats() == a.map { floatFromBFloat16(bfloat16Bits($0)) })
        #expect(zip(mb.floats(), b).allSatisfy { abs($0 - $1) <= 0x1p-11 * abs($1) })
        #expect(throws: ModelLoadError.self) { try source!.matrix("e") }
        #expect(throws: ModelFormatError.self) { try source!.matrix("f") }
        #expect(throws: ModelFormatError.self) { try source!.matrix("missing") }

        // The views keep the mapping alive after the source is gone.
        source = nil
        #expect(ma.floats() == a.map { floatFromBFloat16(bfloat16Bits($0)) })
        #expect(mc.floats() == c)
    }

    /// Writes `tiny/<family>` with every rank-2 tensor either in BF16 or rounded to bf16 and kept in F32.
    func writeCheckpoint(family: String, bf16: Bool, to folder: URL) throws {
        let source = SharedPaths.reference.appendingPathComponent("tiny/\(family)")
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: folder.appendingPathComponent("config.json"))
        let file = try SafetensorsFile(contentsOf: source.appendingPathComponent("model.safetensors"))
        let entries = try file.tensorNames.map { name -> SafetensorsBytes.Entry in
            let info = try file.info(named: name)
            let floats = try file.floats(of: info)
            guard info.shape.count == 2 else {
                return .init(name: name, dtype: "F32", shape: info.shape, bytes: SafetensorsBytes.bytes(floats))
            }
            let bits = floats.map(bfloat16Bits)
            return bf16
                ? .init(name: name, dtype: "BF16", shape: info.shape, bytes: SafetensorsBytes.bytes(bits))
                : .init(name: name, dtype: "F32", shape: info.shape, bytes: SafetensorsBytes.bytes(bits.map(floatFromBFloat16)))
        }
        try SafetensorsBytes.write(entries, to: folder.appendingPathComponent("model.safetensors"))
    }

    @Test(arguments: ["llama", "qwen3", "mixtral", "gemma3"])
    func bf16CheckpointMatchesItsFloat32Rounding(family: String) throws {
        let bf16Folder = try temporaryFolder(), f32Folder = try temporaryFolder()
        defer {
            try? FileManager.default.removeItem(at: bf16Folder)
            try? FileManager.default.removeItem(at: f32Folder)
        }
        try writeCheckpoint(family: family, bf16: true, to: bf16Folder)
        try writeCheckpoint(family: family, bf16: false, to: f32Folder)
        let bf16 = try DecoderLoader.load(huggingFaceFolder: bf16Folder)
        let f32 = try DecoderLoader.load(huggingFaceFolder: f32Folder)
        let q = bf16.weights.layers[0].queryProjection
        #expect(q.storageType == .bfloat16 && q.isView, "\(family): query projection is \(q.storageType)")
        #expect(f32.weights.layers[0].queryProjection.storageType == .float32)
        #expect(bf16.weights.matrixByteCount * 2 == f32.weights.matrixByteCount)

        // Prefill of 12 tokens (the blocked-GEMM path), then token-by-token decode (matrix–vector).
        let v = bf16.configuration.vocabularySize
        let tokens = (0..<16).map { ($0 * 37 + 5) % v }
        let caches = [bf16.makeCache(), f32.makeCache()]
        var worst: Float = 0
        func compare(_ a: Decoder.Output, _ b: Decoder.Output) throws {
            let x = try #require(a.logits).value.scalars, y = try #require(b.logits).value.scalars
            #expect(x.count == y.count)
            for (p, q) in zip(x, y) { worst = max(worst, abs(p - q)) }
        }
        try compare(bf16.forward([Array(tokens.prefix(12))], caches: [caches[0]], logits: .all),
                    f32.forward([Array(tokens.prefix(12))], caches: [caches[1]], logits: .all))
        for t in 12..<tokens.count {
            try compare(bf16.forward([[tokens[t]]], caches: [caches[0]]), f32.forward([[tokens[t]]], caches: [caches[1]]))
        }
        #expect(worst < 1e-4, "\(family): largest logit difference \(worst) between bf16 views and rounded Float32")
    }
}

// Shapes: weight matrices (O, I); logits (B, V).
import Foundation
import Testing
import ModelFormats
import Models
import Tensors
import TestSupport

/// The decoder with its GGUF blocks read in place (`WeightFormat.quantized`) against the Float32
/// reference path, on both models' real tensors and reference prompts.
struct QuantizedDecodeCheck {
    let model: String
    let file: URL

    /// Every block type of the file, on the first layer tensor of that type: decoded bits equal
    /// the load-time dequantisation, and the kernels' products equal sgemm's on the Float32 copy
    /// up to summation order (batches 1, 3, 8 on the matrix–vector kernel, 12 on decoded tiles).
    func checkRealTensors() throws {
        let gguf = try GGUFFile(contentsOf: file)
        let blocks = GGUFWeights(file: gguf, storage: .blocks), floats = GGUFWeights(file: gguf, storage: .float32)
        var seen = Set<GGMLType>()
        for info in gguf.tensors where info.dimensions.count == 2 && info.name.hasPrefix("blk.") && !seen.contains(info.type) {
            seen.insert(info.type)
            let q = try blocks.matrix(info.name), f = try floats.matrix(info.name)
            #expect(q.storageType == WeightStorageType(ggml: info.type) && q.isView, "\(info.name)")
            #expect(q.floats().map(\.bitPattern) == f.floats().map(\.bitPattern), "\(info.name) \(info.type.name) decoding")
            // Loaded as `bench` loads it: the Float32 copy, its small products from the blocks.
            let both = try GGUFWeights(file: gguf, storage: .float32ReadingBlocks).matrix(info.name)
            #expect(both.storageType == .float32 && both.floats() == f.floats(), "\(info.name)")
            #expect(both.blocksForSmallProducts?.storageType == q.storageType, "\(info.name) keeps its blocks")
            var rng = SeededGenerator(seed: 5)
            for n in [1, 3, 8, 12] {
                let x = (0..<(n * q.inputs)).map { _ in Float(rng.nextNormal()) }
                let tape = Tape(), xv = Variable(constant: Tensor(shape: [n, q.inputs], scalars: x))
                let error = relativeError(tape.linear(xv, weight: q).value.scalars, tape.linear(xv, weight: f).value.scalars)
                #expect(error < 1e-5, "\(info.name) \(info.type.name), N \(n): relative error \(error)")
            }
        }
        // The embedding (also the tied output projection) decodes row by row.
        let embedding = try gguf.tensorInfo(named: "token_embd.weight")
        let table = try blocks.matrix(embedding.name)
        for id in [0, 1, table.outputs - 1] {
            #expect(table.row(id) == (try gguf.dequantizeRows(embedding, rows: id..<(id + 1))), "embedding row \(id)")
        }
    }

    /// Logits of the reference prompts up to 64 tokens (the zero-shot ones and one 10-shot; the
    /// parity suites run all prompts), quantised against Float32: after prefill (decoded tiles,
    /// sgemm) and over 4 greedy decode steps at batch 1 and 5 (matrix–vector kernels). Returns the
    /// largest absolute logit difference seen of each.
    func compareLogits(tolerance: Float) throws -> (prefill: Float, decode: Float) {
        let gguf = try GGUFFile(contentsOf: file)
        let reference = try DecoderLoader.load(gguf: gguf, storage: .float32), quantized = try DecoderLoader.load(gguf: gguf, storage: .blocks)
        let prompts = try ReferenceFixture.load(model).prompts.map(\.token_ids).filter { $0.count <= 64 }
        let v = reference.configuration.vocabularySize
        func argmax(_ row: ArraySlice<Float>) -> Int { row.indices.max { row[$0] < row[$1] }! - row.startIndex }
        func compare(_ a: Tensor, _ b: Tensor, _ what: String) -> Float {
            let rows = a.count / v
            for r in 0..<rows {
                let ra = a.scalars[(r * v)..<((r + 1) * v)], rb = b.scalars[(r * v)..<((r + 1) * v)]
                #expect(argmax(ra) == argmax(rb), "\(model) \(what), row \(r): arg-max \(argmax(rb)) quantised, \(argmax(ra)) float32")
            }
            let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < tolerance, "\(model) \(what): max |Δ logit| \(worst)")
            return worst
        }
        let prefill = compare(
            reference.forward(prompts, caches: prompts.map { _ in reference.makeCache() }).logits!.value,
            quantized.forward(prompts, caches: prompts.map { _ in quantized.makeCache() }).logits!.value, "prefill")
        var decode: Float = 0
        for batch in [1, 5] {
            let start = Array(prompts.prefix(batch))
            let cachesR = start.map { _ in reference.makeCache() }, cachesQ = start.map { _ in quantized.makeCache() }
            var logitsR = reference.forward(start, caches: cachesR).logits!.value
            _ = quantized.forward(start, caches: cachesQ)
            for step in 0..<4 {
                let next = (0..<batch).map { [argmax(logitsR.scalars[($0 * v)..<(($0 + 1) * v)])] }
                logitsR = reference.forward(next, caches: cachesR).logits!.value
                let logitsQ = quantized.forward(next, caches: cachesQ).logits!.value
                decode = max(decode, compare(logitsR, logitsQ, "decode batch \(batch) step \(step)"))
            }
        }
        print("\(model): quantised vs float32 logits, max |Δ| prefill \(prefill), decode \(decode)")
        return (prefill, decode)
    }
}

@Suite(.serialized) struct SmolLM2QuantizedTests {
    static let check = QuantizedDecodeCheck(model: "smollm2-135m-instruct-q4_1", file: SharedPaths.smolLM2)
    static let parity = Result { try ReferenceParity(model: "smollm2-135m-instruct-q4_1", file: SharedPaths.smolLM2, storage: .blocks) }

    @Test func realTensorsMatchTheirDequantisation() throws { try Self.check.checkRealTensors() }
    @Test func logitsMatchFloat32() throws { _ = try Self.check.compareLogits(tolerance: 1e-3) }
    @Test func logitsAndHeadOutputsMatchTransformers() throws { try Self.parity.get().checkLogitsAndHeadOutputs() }
    @Test func softInjectionLossAndGradientMatchTransformers() throws { try Self.parity.get().checkSoftInjection() }
}

@Suite(.serialized) struct Gemma3QuantizedTests {
    static let check = QuantizedDecodeCheck(model: "gemma3-270m-q4_k_m", file: SharedPaths.gemma3)
    static let parity = Result { try ReferenceParity(model: "gemma3-270m-q4_k_m", file: SharedPaths.gemma3, storage: .blocks) }

    @Test func realTensorsMatchTheirDequantisation() throws { try Self.check.checkRealTensors() }
    @Test func logitsMatchFloat32() throws { _ = try Self.check.compareLogits(tolerance: 1e-3) }
    @Test func logitsAndHeadOutputsMatchTransformers() throws { try Self.parity.get().checkLogitsAndHeadOutputs() }
    @Test func softInjectionLossAndGradientMatchTransformers() throws { try Self.parity.get().checkSoftInjection() }
}

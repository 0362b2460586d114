import Foundation
import Testing
import ModelFormats
import Models
import Tensors
import TestSupport

/// The bfloat16 compute path on the real models: the arg-max at the last position of every
/// reference prompt equals float32's (and the reference's), and the top-20 logits of float32
/// move by less than `bound`. The largest move is printed: it is the figure the README quotes.
struct BFloat16Parity {
    static func check(model: String, file: URL, bound: Double) throws {
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ModelLoadError.modelNotFound(file.lastPathComponent, searched: [file.path], hint: "run `bench models fetch` (or .ci/run) first")
        }
        let decoder = try DecoderLoader.load(gguf: try GGUFFile(contentsOf: file))
        let bf16 = try decoder.computing(in: .bfloat16)
        let prompts = try ReferenceFixture.load(model).prompts
        let tokens = prompts.map(\.token_ids)
        let reference = try #require(decoder.forward(tokens, caches: tokens.map { _ in decoder.makeCache() }).logits).value
        let ours = try #require(bf16.forward(tokens, caches: tokens.map { _ in bf16.makeCache() }).logits).value
        let v = decoder.configuration.vocabularySize
        var worst = 0.0, sum = 0.0, count = 0
        for (b, prompt) in prompts.enumerated() {
            let f32 = Array(reference.scalars[(b * v)..<((b + 1) * v)]), low = Array(ours.scalars[(b * v)..<((b + 1) * v)])
            let argmax = low.indices.max { low[$0] < low[$1] }!
            let referenceArgmax = f32.indices.max { f32[$0] < f32[$1] }!
            #expect(argmax == referenceArgmax && argmax == prompt.greedy_token, "prompt \(b): bfloat16 arg-max \(argmax), float32 \(referenceArgmax)")
            for id in f32.indices.sorted(by: { f32[$0] > f32[$1] }).prefix(20) {
                let delta = abs(Double(low[id]) - Double(f32[id]))
                worst = max(worst, delta)
                sum += delta
                count += 1
            }
        }
        print(String(format: "%@ bfloat16 vs float32, %d prompts: arg-max equal on all; top-20 logits |Δ| max %.4f, mean %.4f",
                     model, prompts.count, worst, sum / Double(count)))
        #expect(worst > 0 && worst < bound, "\(model): top-20 logit difference \(worst)")
    }
}

@Suite(.serialized) struct BFloat16ParityTests {
    @Test func smolLM2ArgmaxMatchesFloat32() throws {
        try BFloat16Parity.check(model: "smollm2-135m-instruct-q4_1", file: SharedPaths.smolLM2, bound: 0.5)
    }

    @Test func gemma3ArgmaxMatchesFloat32() throws {
        try BFloat16Parity.check(model: "gemma3-270m-q4_k_m", file: SharedPaths.gemma3, bound: 0.5)
    }
}

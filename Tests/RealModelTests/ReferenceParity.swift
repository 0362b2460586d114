import Foundation
import Testing
import ModelFormats
import Models
import Tensors
import TestSupport

/// The parity bars of the engine issue, for any model with a reference folder: token ids are
/// checked by the tokenizer tests; here logits, head outputs and soft-injection loss/gradient.
struct ReferenceParity {
    let decoder: Decoder
    let fixture: ReferenceFixture
    let tensors: SafetensorsFile

    /// - Parameter storage: how to load the GGUF weights; by default as `bench` does (Float32
    ///   copies whose small forward products, such as the last-token logits, read the blocks).
    init(model: String, file: URL, storage: GGUFMatrixStorage = .float32ReadingBlocks) throws {
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ModelLoadError.modelNotFound(file.lastPathComponent, searched: [file.path], hint: "run `bench models fetch` (or .ci/run) first")
        }
        decoder = try DecoderLoader.load(gguf: try GGUFFile(contentsOf: file), storage: storage)
        fixture = try ReferenceFixture.load(model)
        tensors = try SafetensorsFile(contentsOf: ReferenceFixture.folder(model).appendingPathComponent("tensors.safetensors"))
    }

    /// All prompts in one ragged batch: arg-max, top-20 logits within 1e-2, head outputs at the
    /// last position within 1e-3 relative per layer.
    func checkLogitsAndHeadOutputs() throws {
        let c = decoder.configuration
        let prompts = fixture.prompts
        let captures = (0..<c.layerCount).map { Intervention(.attentionHeads(layer: $0), .capture) }
        let output = decoder.forward(prompts.map(\.token_ids), caches: prompts.map { _ in decoder.makeCache() }, interventions: captures)
        let logits = try #require(output.logits).value
        let v = c.vocabularySize
        for (b, prompt) in prompts.enumerated() {
            let row = Array(logits.scalars[(b * v)..<((b + 1) * v)])
            let argmax = row.indices.max { row[$0] < row[$1] }!
            #expect(argmax == prompt.greedy_token, "prompt \(b): arg-max \(argmax), reference \(prompt.greedy_token)")
            var worst = 0.0
            for pair in prompt.top20 { worst = max(worst, abs(Double(row[Int(pair[0])]) - pair[1])) }
            #expect(worst < 1e-2, "prompt \(b): top-20 logit difference \(worst)")

            let reference = try tensors.floats(named: "prompt\(prompt.index).head_outputs_last")  // (L, H, Dh)
            let width = c.attentionWidth
            var worstLayer = 0.0
            for layer in 0..<c.layerCount {
                let ours = try #require(output.captures[.attentionHeads(layer: layer)]).row(b)
                worstLayer = max(worstLayer, relativeError(ours, Array(reference[(layer * width)..<((layer + 1) * width)])))
            }
            #expect(worstLayer < 1e-3, "prompt \(b): head outputs relative error \(worstLayer)")
        }
    }

    /// The arg-max token at every position of every prompt.
    func checkArgmaxAtEveryPosition() throws {
        let v = decoder.configuration.vocabularySize
        for prompt in fixture.prompts {
            let logits = try #require(decoder.forward([prompt.token_ids], caches: [decoder.makeCache()], logits: .all).logits).value
            let info = try tensors.info(named: "prompt\(prompt.index).logits_all_positions_top1")
            let reference = tensors.rawBytes(of: info).bindMemory(to: Int32.self).map { Int($0) }
            let ours = (0..<prompt.token_ids.count).map { t -> Int in
                let row = logits.scalars[(t * v)..<((t + 1) * v)]
                return row.indices.max { row[$0] < row[$1] }! - t * v
            }
            #expect(ours == reference, "prompt \(prompt.index)")
        }
    }

    /// Soft injection on the last-token path: prefill all tokens but the last, then mix
    /// `site.task_embedding` into every head with weights sigmoid(`site.alpha_logit`); the loss of
    /// the target token and its gradient with respect to the alpha logits match the reference.
    func checkSoftInjection() throws {
        let c = decoder.configuration
        let embedding = try tensors.floats(named: "site.task_embedding")   // (L, H, Dh)
        let alphaLogits = try tensors.floats(named: "site.alpha_logit")     // (L, H)
        for check in fixture.site_checks {
            let prompt = fixture.prompts[check.index]
            let cache = decoder.makeCache()
            _ = decoder.forward([Array(prompt.token_ids.dropLast())], caches: [cache], logits: .none)
            let tape = Tape()
            let logitsParameter = tape.parameter(Tensor(shape: [c.layerCount, c.attentionHeads], scalars: alphaLogits))
            let weights = tape.sigmoid(logitsParameter)
            let interventions = (0..<c.layerCount).map { layer in
                let target = Tensor(shape: [1, c.attentionWidth],
                                    scalars: Array(embedding[(layer * c.attentionWidth)..<((layer + 1) * c.attentionWidth)]))
                return Intervention(.attentionHeads(layer: layer),
                                    .mixHeads(target: Variable(constant: target), weights: tape.rows(weights, [layer])))
            }
            let output = decoder.forward([[prompt.token_ids.last!]], caches: [cache], tape: tape, interventions: interventions)
            let loss = tape.sum(tape.crossEntropy(logits: try #require(output.logits), targets: [check.target_first_token]))
            #expect(abs(Double(loss.value.scalars[0]) - check.loss) < 1e-3, "site check \(check.index): loss \(loss.value.scalars[0]), reference \(check.loss)")
            let gradient = tape.gradients(of: loss)[logitsParameter]
            let reference = try tensors.floats(named: "prompt\(check.index).site_alpha_logit_grad")
            let error = relativeError(gradient.scalars, reference)
            #expect(error < 1e-3, "site check \(check.index): alpha-logit gradient relative error \(error)")
        }
    }
}

@Suite(.serialized) struct SmolLM2ParityTests {
    static let parity = Result { try ReferenceParity(model: "smollm2-135m-instruct-q4_1", file: SharedPaths.smolLM2) }

    @Test func logitsAndHeadOutputsMatchTransformers() throws { try Self.parity.get().checkLogitsAndHeadOutputs() }
    @Test func argmaxMatchesAtEveryPosition() throws { try Self.parity.get().checkArgmaxAtEveryPosition() }
    @Test func softInjectionLossAndGradientMatchTransformers() throws { try Self.parity.get().checkSoftInjection() }
}

@Suite(.serialized) struct Gemma3ParityTests {
    static let parity = Result { try ReferenceParity(model: "gemma3-270m-q4_k_m", file: SharedPaths.gemma3) }

    @Test func logitsAndHeadOutputsMatchTransformers() throws { try Self.parity.get().checkLogitsAndHeadOutputs() }
    @Test func argmaxMatchesAtEveryPosition() throws { try Self.parity.get().checkArgmaxAtEveryPosition() }
    @Test func softInjectionLossAndGradientMatchTransformers() throws { try Self.parity.get().checkSoftInjection() }
}

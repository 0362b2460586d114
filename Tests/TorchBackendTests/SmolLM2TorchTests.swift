// Shape legend: P prompts, L layers, H heads, Dh head dim, D model dim, V vocab.
import Foundation
import ModelFormats
import Models
import Tensors
import Testing
import Tokenizers
import TestSupport

/// SmolLM2-135M (Q4_1 GGUF, dequantised to float32 by both engines) on the torch backend against
/// the native one, through the same seam: top-20 logits within 1e-3, per-head captures within 1e-3
/// relative, SITE α-logit and LTV weight gradients within 1e-3 relative, greedy continuations equal.
@Suite(.enabled(if: TorchEnvironment.isAvailable, TorchEnvironment.skipReason), .serialized)
struct SmolLM2TorchTests {
    final class Backends: @unchecked Sendable {
        let native: NativeBackend
        let torch: TorchBackend
        let client: WorkerClient
        let fixture: ReferenceFixture
        let tensors: SafetensorsFile

        init() throws {
            let file = SharedPaths.smolLM2
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw ModelLoadError.modelNotFound(file.lastPathComponent, searched: [file.path], hint: "run `bench models fetch smollm2-135m` first")
            }
            let gguf = try GGUFFile(contentsOf: file)
            let tokenizer = try Tokenizer(gguf: gguf)
            native = NativeBackend(decoder: try DecoderLoader.load(gguf: gguf), tokenizer: tokenizer)
            client = try TorchEnvironment.worker()
            torch = try TorchBackend(client: client, model: file.path, options: TorchLoadOptions(threads: 1), tokenizer: tokenizer)
            let name = "smollm2-135m-instruct-q4_1"
            fixture = try ReferenceFixture.load(name)
            tensors = try SafetensorsFile(contentsOf: ReferenceFixture.folder(name).appendingPathComponent("tensors.safetensors"))
        }
    }

    static let backends = Result { try Backends() }

    @Test func topLogitsAndHeadOutputsEqualTheNativeEngine() throws {
        let b = try Self.backends.get()
        let s = b.native.shape, v = s.vocabularySize
        let prompts = b.fixture.prompts.map(\.token_ids)
        let plan = InterventionPlan.capturing((0..<s.layers).map { .attentionHeads(layer: $0) })
        let ours = try b.torch.forward(prompts, plan: plan, logits: .last)
        let reference = try b.native.forward(prompts, plan: plan, logits: .last)
        let logits = try #require(ours.logits), expected = try #require(reference.logits)
        var worstLogit: Float = 0, worstHeads = 0.0
        for p in prompts.indices {
            let row = Array(expected.scalars[(p * v)..<((p + 1) * v)])
            let top20 = row.indices.sorted { row[$0] > row[$1] }.prefix(20)
            for j in top20 { worstLogit = max(worstLogit, abs(logits.scalars[p * v + j] - row[j])) }
            for layer in 0..<s.layers {
                let site = InterventionSite.attentionHeads(layer: layer)
                let a = try #require(ours.captures[site]).row(p), e = try #require(reference.captures[site]).row(p)
                for h in 0..<s.attentionHeads {
                    let heads = (h * s.headDimensions)..<((h + 1) * s.headDimensions)
                    worstHeads = max(worstHeads, relativeError(Array(a[heads]), Array(e[heads])))
                }
            }
        }
        #expect(worstLogit < 1e-3, "largest top-20 logit difference \(worstLogit)")
        #expect(worstHeads < 1e-3, "largest per-head relative difference \(worstHeads)")
    }

    /// SITE's training plan: the reference task embedding mixed into every head with α =
    /// sigmoid(logits), two weight sets gathered per row as in joint training.
    @Test func siteAlphaGradientsEqualTheNativeEngine() throws {
        let b = try Self.backends.get()
        let s = b.native.shape, l = s.layers
        let embedding = Tensor(shape: [l, s.attentionWidth], scalars: try b.tensors.floats(named: "site.task_embedding"))
        let alpha = try b.tensors.floats(named: "site.alpha_logit")
        // Set 1 is set 0 shifted, so the two rows of a prompt differ.
        let logits = Tensor(shape: [2 * l, s.attentionHeads], scalars: alpha + alpha.map { $0 - 0.5 })
        let checks = b.fixture.site_checks
        let prompts = checks.map { b.fixture.prompts[$0.index].token_ids }
        let targets = checks.map(\.target_first_token)
        let indices = Array(prompts.indices) + Array(prompts.indices)
        let sets = prompts.map { _ in 0 } + prompts.map { _ in 1 }
        let plan = InterventionPlan((0..<l).map { layer in
            InterventionRequest(.attentionHeads(layer: layer), .mixHeads(
                target: .element(.named("t"), index: [layer]),
                weights: .gather(.sigmoid(.named("alpha")), rows: sets.map { $0 * l + layer })))
        }, inputs: InterventionInputs(constants: ["t": embedding], parameters: ["alpha": logits]))
        let reduction = LossReduction(.mean, scale: 2)
        let ours = try b.torch.lastTokenBatch(prompts, targets: targets).loss(indices, plan: plan, reduction: reduction, gradients: true)
        let reference = try b.native.lastTokenBatch(prompts, targets: targets).loss(indices, plan: plan, reduction: reduction, gradients: true)
        #expect(abs(ours.loss - reference.loss) < 1e-3, "loss \(ours.loss), native \(reference.loss)")
        #expect(zip(ours.rowLosses, reference.rowLosses).allSatisfy { abs($0 - $1) < 1e-3 }, "row losses \(ours.rowLosses) vs \(reference.rowLosses)")
        let error = relativeError(try #require(ours.gradients["alpha"]).scalars, try #require(reference.gradients["alpha"]).scalars)
        #expect(error < 1e-3, "α-logit gradient relative error \(error)")
    }

    /// LTV's plan: v_l = Σ_h w[l, h] P[l, h] added to every layer's residual stream.
    @Test func ltvWeightGradientsEqualTheNativeEngine() throws {
        let b = try Self.backends.get()
        let s = b.native.shape, l = s.layers, h = s.attentionHeads
        var generator = SeededGenerator(seed: 11)
        let w = Tensor(shape: [l, h], scalars: (0..<(l * h)).map { _ in Float.random(in: -0.5...0.5, using: &generator) })
        let p = Tensor(shape: [l, h, s.hiddenSize], scalars: (0..<(l * h * s.hiddenSize)).map { _ in Float.random(in: -0.05...0.05, using: &generator) })
        let plan = InterventionPlan((0..<l).map { layer in
            InterventionRequest(.residual(layer: layer), .add(.weightedSum(
                weights: .element(.named("w"), index: [layer]), vectors: .element(.named("P"), index: [layer]))))
        }, inputs: InterventionInputs(constants: ["P": p], parameters: ["w": w]))
        let prompts = b.fixture.prompts.prefix(4).map(\.token_ids)
        let targets = b.fixture.prompts.prefix(4).map { $0.target_token_ids[0] }
        let indices = Array(prompts.indices)
        let reduction = LossReduction(.sum, scale: 0.5)
        let ours = try b.torch.lastTokenBatch(prompts, targets: targets).loss(indices, plan: plan, reduction: reduction, gradients: true)
        let reference = try b.native.lastTokenBatch(prompts, targets: targets).loss(indices, plan: plan, reduction: reduction, gradients: true)
        #expect(abs(ours.loss - reference.loss) < 1e-3, "loss \(ours.loss), native \(reference.loss)")
        let error = relativeError(try #require(ours.gradients["w"]).scalars, try #require(reference.gradients["w"]).scalars)
        #expect(error < 1e-3, "LTV weight gradient relative error \(error)")
    }

    @Test func greedyContinuationsEqualTheNativeEngine() throws {
        let b = try Self.backends.get()
        let prompts = b.fixture.prompts.prefix(4).map(\.token_ids)
        let options = GenerationOptions(maxNewTokens: 6, stopStrings: ["\n"], batchSize: 3)
        let ours = try b.torch.generate(prompts, options: options) { _ in InterventionPlan() }
        let reference = try b.native.generate(prompts, options: options) { _ in InterventionPlan() }
        #expect(ours == reference)
    }
}

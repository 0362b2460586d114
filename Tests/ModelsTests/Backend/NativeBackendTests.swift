import Foundation
import Models
import Tensors
import Testing
import TestSupport

/// The native engine behind the backend seam gives exactly what the decoder gives when called
/// directly, and the gradients of last-token losses are right.
@Suite struct NativeBackendTests {
    static func decoder() throws -> Decoder {
        try DecoderLoader.load(huggingFaceFolder: SharedPaths.reference.appendingPathComponent("tiny/llama"))
    }

    static func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -scale...scale, using: &generator) })
    }

    let prompts = [[1, 5, 9, 200, 31], [1, 77], [1, 8, 8, 8, 3, 100, 4]]

    @Test func forwardWithAPlanEqualsTheDecoderBitForBit() throws {
        let decoder = try Self.decoder()
        let backend = NativeBackend(decoder: decoder, tokenizer: nil)
        let s = backend.shape
        let embedding = Self.random([s.layers, s.attentionWidth], seed: 1)
        let alpha = Self.random([s.layers, s.attentionHeads], seed: 2)
        let added = Self.random([s.hiddenSize], seed: 3, scale: 0.1)
        let plan = InterventionPlan(
            [InterventionRequest(.attentionHeads(layer: 0), .mixHeads(
                target: .element(.named("t"), index: [0]), weights: .sigmoid(.element(.named("alpha"), index: [0])))),
             InterventionRequest(.residual(layer: 1), at: .indices([2, 0, 4]), .add(.named("v"))),
             InterventionRequest(.residual(layer: 1), at: .indices([2, 0, 4]), .capture)],
            inputs: InterventionInputs(constants: ["t": embedding, "v": added, "alpha": alpha]))
        let viaBackend = try backend.forward(prompts, plan: plan, logits: .all)

        let b = prompts.count, w = s.attentionWidth, h = s.attentionHeads
        let target = Tensor(shape: [b, w], scalars: (0..<b).flatMap { _ in embedding.row(0) })
        let weights = Tensor(shape: [b, h], scalars: (0..<b).flatMap { _ in alpha.row(0).map(sigmoidScalar) })
        let vectors = Tensor(shape: [b, s.hiddenSize], scalars: (0..<b).flatMap { _ in added.scalars })
        let direct = decoder.forward(prompts, caches: prompts.map { _ in decoder.makeCache() }, interventions: [
            Intervention(.attentionHeads(layer: 0), .mixHeads(target: Variable(constant: target), weights: Variable(constant: weights))),
            Intervention(.residual(layer: 1), at: .indices([2, 0, 4]), .add(Variable(constant: vectors))),
            Intervention(.residual(layer: 1), at: .indices([2, 0, 4]), .capture),
        ], logits: .all)
        #expect(viaBackend.logits?.scalars == direct.logits?.value.scalars)
        #expect(viaBackend.captures[.residual(layer: 1)]?.scalars == direct.captures[.residual(layer: 1)]?.scalars)
    }

    @Test func lastTokenForwardEqualsAWholeForward() throws {
        let backend = NativeBackend(decoder: try Self.decoder(), tokenizer: nil)
        let batch = try backend.lastTokenBatch(prompts, targets: [])
        #expect(batch.prefilledTokens == prompts.reduce(0) { $0 + $1.count - 1 })
        let plan = InterventionPlan.capturing([.attentionHeads(layer: 1)])
        let last = try batch.forward([2, 0, 2], plan: plan)
        let whole = try backend.forward([prompts[2], prompts[0], prompts[2]], plan: plan, logits: .last)
        let logits = try #require(last.logits), expected = try #require(whole.logits)
        #expect(relativeError(logits.scalars, expected.scalars) < 1e-5)
        #expect(relativeError(last.captures[.attentionHeads(layer: 1)]!.scalars, whole.captures[.attentionHeads(layer: 1)]!.scalars) < 1e-5)
        #expect(throws: BackendError.noTargets) { try batch.loss([0], plan: plan, reduction: .mean, gradients: false) }
    }

    /// SITE's shape of plan: α = sigmoid(logits) of two weight sets, gathered per row; checked
    /// against central finite differences of the loss.
    @Test func gradientsOfGatheredSigmoidWeightsMatchFiniteDifferences() throws {
        let backend = NativeBackend(decoder: try Self.decoder(), tokenizer: nil)
        let s = backend.shape, l = s.layers
        let batch = try backend.lastTokenBatch(prompts, targets: [3, 17, 250])
        let embedding = Self.random([l, s.attentionWidth], seed: 4)
        var logits = Self.random([2 * l, s.attentionHeads], seed: 5)
        let sets = [0, 1, 1]
        func plan(_ logits: Tensor) -> InterventionPlan {
            InterventionPlan((0..<l).map { layer in
                InterventionRequest(.attentionHeads(layer: layer), .mixHeads(
                    target: .element(.named("t"), index: [layer]),
                    weights: .gather(.sigmoid(.named("alpha")), rows: sets.map { $0 * l + layer })))
            }, inputs: InterventionInputs(constants: ["t": embedding], parameters: ["alpha": logits]))
        }
        let indices = [0, 1, 2]
        let reduction = LossReduction(.sum, scale: 0.5)
        let result = try batch.loss(indices, plan: plan(logits), reduction: reduction, gradients: true)
        let gradient = try #require(result.gradients["alpha"])
        #expect(abs(result.loss - 0.5 * result.rowLosses.reduce(0, +)) < 1e-5)
        var worst = 0.0
        for i in [0, 3, l * s.attentionHeads + 1, logits.count - 1] {
            let x = logits.scalars[i], h: Float = 1e-2
            logits.scalars[i] = x + h
            let up = try batch.loss(indices, plan: plan(logits), reduction: reduction, gradients: false).loss
            logits.scalars[i] = x - h
            let down = try batch.loss(indices, plan: plan(logits), reduction: reduction, gradients: false).loss
            logits.scalars[i] = x
            let numeric = Double(up - down) / Double(2 * h)
            worst = max(worst, abs(numeric - Double(gradient.scalars[i])) / max(1e-3, abs(numeric)))
        }
        #expect(worst < 2e-2, "largest relative difference to finite differences \(worst)")
    }

    /// LTV's shape of plan: v_l = Σ_h w[l, h] P[l, h] added to the residual stream.
    @Test func weightedSumsEqualTheirSumByHand() throws {
        let backend = NativeBackend(decoder: try Self.decoder(), tokenizer: nil)
        let s = backend.shape
        let w = Self.random([s.layers, s.attentionHeads], seed: 6)
        let p = Self.random([s.layers, s.attentionHeads, s.hiddenSize], seed: 7, scale: 0.1)
        let plan = InterventionPlan(
            [InterventionRequest(.residual(layer: 1), .add(.weightedSum(weights: .element(.named("w"), index: [1]), vectors: .element(.named("P"), index: [1]))))],
            inputs: InterventionInputs(constants: ["P": p], parameters: ["w": w]))
        var byHand = [Float](repeating: 0, count: s.hiddenSize)
        for h in 0..<s.attentionHeads {
            for i in 0..<s.hiddenSize { byHand[i] += w.scalars[s.attentionHeads + h] * p.scalars[(s.attentionHeads + h) * s.hiddenSize + i] }
        }
        let manual = InterventionPlan(
            [InterventionRequest(.residual(layer: 1), .add(.named("v")))],
            inputs: InterventionInputs(constants: ["v": Tensor(shape: [s.hiddenSize], scalars: byHand)]))
        let a = try #require(try backend.forward(prompts, plan: plan, logits: .last).logits)
        let b = try #require(try backend.forward(prompts, plan: manual, logits: .last).logits)
        #expect(relativeError(a.scalars, b.scalars) < 1e-6)
        let batch = try backend.lastTokenBatch(prompts, targets: [1, 2, 3])
        let gradient = try #require(try batch.loss([0, 1, 2], plan: plan, reduction: .mean, gradients: true).gradients["w"])
        // Only row 1 of w reaches the loss.
        #expect(gradient.row(0).allSatisfy { $0 == 0 } && gradient.row(1).contains { $0 != 0 })
    }

    @Test func badPlansAreTypedErrors() throws {
        let backend = NativeBackend(decoder: try Self.decoder(), tokenizer: nil)
        #expect(throws: BackendError.unknownTensor(name: "t")) {
            try backend.forward(prompts, plan: InterventionPlan([InterventionRequest(.residual(layer: 0), .add(.named("t")))]), logits: .last)
        }
        let wrong = InterventionPlan([InterventionRequest(.residual(layer: 0), .add(.named("t")))],
                                     inputs: InterventionInputs(constants: ["t": Tensor(shape: [2, 3])]))
        #expect(throws: BackendError.self) { try backend.forward(prompts, plan: wrong, logits: .last) }
        #expect(throws: BackendError.noTokenizer) { try backend.generate(prompts, options: GenerationOptions()) { _ in InterventionPlan() } }
    }
}

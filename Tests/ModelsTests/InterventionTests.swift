import Foundation
import Testing
import Models
import Tensors
import TestSupport

@Suite struct InterventionTests {
    static let folder = SharedPaths.reference.appendingPathComponent("tiny/llama")
    let decoder: Decoder
    let tokens: [[Int]] = [[1, 17, 250, 3, 99, 42], [1, 7, 300, 5]]

    init() throws { decoder = try DecoderLoader.load(huggingFaceFolder: Self.folder) }

    func logits(_ interventions: [Intervention] = [], decoder: Decoder? = nil) -> Tensor {
        let d = decoder ?? self.decoder
        return d.forward(tokens, caches: tokens.map { _ in d.makeCache() }, interventions: interventions).logits!.value
    }

    @Test func identityInterventionsLeaveLogitsBitIdentical() {
        let c = decoder.configuration
        let reference = logits()
        let zerosHeads = Variable(constant: Tensor(shape: [2, c.attentionWidth]))
        let identity: [Intervention] = [
            Intervention(.attentionHeads(layer: 1), .capture),
            Intervention(.residual(layer: 0), .capture),
            Intervention(.residual(layer: 2), .add(Variable(constant: Tensor(shape: [2, c.hiddenSize])))),
            Intervention(.attentionHeads(layer: 0), .mixHeads(target: zerosHeads, weights: Variable(constant: Tensor(shape: [2, c.attentionHeads])))),
        ]
        #expect(logits(identity) == reference)
    }

    @Test func capturesHaveOneRowPerSequence() {
        let c = decoder.configuration
        let output = decoder.forward(tokens, caches: tokens.map { _ in decoder.makeCache() }, interventions: [
            Intervention(.attentionHeads(layer: 2), .capture), Intervention(.residual(layer: 1), at: .indices([0, 2]), .capture),
        ])
        #expect(output.captures[.attentionHeads(layer: 2)]?.shape == [2, c.attentionWidth])
        #expect(output.captures[.residual(layer: 1)]?.shape == [2, c.hiddenSize])
    }

    /// Replacing a head's output by zeros at every position equals zeroing that head's columns of
    /// the output projection.
    @Test func zeroingAHeadMatchesManualAblation() throws {
        let c = decoder.configuration
        let layer = 1, head = 2, dh = c.headDimensions
        var weights = decoder.weights
        var projection = weights.layers[layer].outputProjection.tensor()
        for row in 0..<c.hiddenSize { for j in (head * dh)..<((head + 1) * dh) { projection.scalars[row * c.attentionWidth + j] = 0 } }
        weights.layers[layer].outputProjection = WeightMatrix(projection)
        let ablated = try Decoder(configuration: c, weights: weights)
        // Every position of both sequences, one intervention per position index.
        let longest = tokens.map(\.count).max()!
        var interventions = [Intervention]()
        for t in 0..<longest {
            let positions = tokens.map { min(t, $0.count - 1) }
            interventions.append(Intervention(.attentionHeads(layer: layer), at: .indices(positions),
                                              .replaceHead(heads: [head, head], value: Variable(constant: Tensor(shape: [2, dh])))))
        }
        let difference = zip(logits(interventions).scalars, logits(decoder: ablated).scalars).map { abs($0 - $1) }.max()!
        #expect(difference < 1e-5, "largest difference \(difference)")
        #expect(logits(interventions) != logits(), "the ablation changed something")
    }

    /// The last-token path (prefix prefilled, last token run alone) gives the logits and captures
    /// of the whole prompt run at once, with the intervention at the last position.
    @Test func lastTokenPathEqualsWholePrompt() {
        let c = decoder.configuration
        let add = Variable(constant: Tensor(shape: [2, c.hiddenSize], scalars: (0..<(2 * c.hiddenSize)).map { Float($0 % 7) * 0.01 }))
        let interventions = [Intervention(.residual(layer: 1), .add(add)), Intervention(.attentionHeads(layer: 2), .capture)]
        let whole = decoder.forward(tokens, caches: tokens.map { _ in decoder.makeCache() }, interventions: interventions)
        let caches = tokens.map { _ in decoder.makeCache() }
        _ = decoder.forward(tokens.map { Array($0.dropLast()) }, caches: caches, logits: .none)
        let last = decoder.forward(tokens.map { [$0.last!] }, caches: caches, interventions: interventions)
        let logitDifference = zip(whole.logits!.value.scalars, last.logits!.value.scalars).map { abs($0 - $1) }.max()!
        #expect(logitDifference < 1e-5)
        let captureDifference = zip(whole.captures[.attentionHeads(layer: 2)]!.scalars, last.captures[.attentionHeads(layer: 2)]!.scalars).map { abs($0 - $1) }.max()!
        #expect(captureDifference < 1e-5)
    }

    /// Per-sequence values: each sequence of a batch gets its own vector, and the result equals
    /// running each sequence alone with its vector.
    @Test func perSequenceValuesEqualRunningAlone() {
        let c = decoder.configuration
        let vectors = (0..<2).map { b in Tensor(shape: [1, c.hiddenSize], scalars: (0..<c.hiddenSize).map { Float(($0 + b * 3) % 5) * 0.02 }) }
        let both = Variable(constant: Tensor(shape: [2, c.hiddenSize], scalars: vectors[0].scalars + vectors[1].scalars))
        let batched = decoder.forward(tokens, caches: tokens.map { _ in decoder.makeCache() }, interventions: [Intervention(.residual(layer: 0), .replace(both))]).logits!.value
        let v = c.vocabularySize
        for b in 0..<2 {
            let alone = decoder.forward([tokens[b]], caches: [decoder.makeCache()], interventions: [Intervention(.residual(layer: 0), .replace(Variable(constant: vectors[b])))]).logits!.value
            let difference = zip(alone.scalars, batched.scalars[(b * v)..<((b + 1) * v)]).map { abs($0 - $1) }.max()!
            #expect(difference < 1e-5)
        }
    }
}

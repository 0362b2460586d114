// Shape legend: B batch, T tokens (2 per point), D model dim (n_embd), H heads, Dh head dim,
// F FFN dim (4·D), L layers; d the regression input dimension, N points per prompt, P positions.
import Tensors

/// Garg et al.'s in-context regression model: a GPT-2 decoder (learned positions, pre-LayerNorm
/// blocks, GELU-tanh MLP, final LayerNorm) between a linear read-in d → D and a scalar read-out
/// D → 1 read at the x rows. Rows alternate x_1, y_1, x_2, y_2, ... (y in coordinate 0 of a zero
/// row, `RegressionBatch.promptTensor`/`trainingTensor`), so the prediction at x_i sees only the
/// points before it.
///
/// It exposes the language model's intervention sites with the same meaning:
/// `.attentionHeads(layer:)` is the (B, H·Dh) per-head output before `attn.c_proj`, and
/// `.residual(layer:)` the (B, D) output of block `layer`; an intervention position is an index
/// into the T rows of each prompt, and `.last` is the query's x in a `promptTensor`.
public struct RegressionTransformer: Sendable {
    public let configuration: RegressionTransformerConfiguration
    public var weights: RegressionWeights<Tensor>

    /// - Throws: `ModelLoadError.shapeMismatch` when a tensor does not fit the configuration.
    public init(configuration: RegressionTransformerConfiguration, weights: RegressionWeights<Tensor>) throws {
        try configuration.validate()
        let expected = RegressionWeights<Tensor>.shapes(for: configuration)
        let names = RegressionWeights<Tensor>.names(layerCount: configuration.layerCount)
        let found = weights.all
        guard found.count == expected.count else {
            throw ModelLoadError.invalidConfiguration(
                "regression transformer: \(found.count) tensors for \(configuration.layerCount) layers, expected \(expected.count)")
        }
        for (i, tensor) in found.enumerated() where tensor.shape != expected[i] {
            throw ModelLoadError.shapeMismatch(tensor: names[i], expected: expected[i], found: tensor.shape)
        }
        self.configuration = configuration
        self.weights = weights
    }

    /// A freshly initialised model (`RegressionWeights.initialized`).
    public init<G: RandomNumberGenerator>(configuration: RegressionTransformerConfiguration, using generator: inout G) throws {
        try configuration.validate()
        self.configuration = configuration
        self.weights = RegressionWeights.initialized(for: configuration, using: &generator)
    }

    /// What a forward pass returns.
    public struct Output {
        /// (B, ⌈T/2⌉): the prediction at every x row, on the tape.
        public var predictions: Variable
        /// Values recorded by `.capture` interventions: (B, width of the site).
        public var captures: [InterventionSite: Tensor]
    }

    /// The intervention position (row index within a prompt) of the query's x, row 2N − 2 in both
    /// `RegressionBatch.promptTensor` (where it is the last row, `.last`) and `trainingTensor`.
    public static func queryRow(points: Int) -> Int { 2 * points - 2 }

    /// Forward with the stored weights as constants (evaluation; interventions may still carry
    /// tape parameters, whose gradients then flow).
    public func forward(_ input: Tensor, tape: Tape = Tape(), interventions: [Intervention] = []) -> Output {
        forward(input, weights: weights.map { Variable(constant: $0) }, tape: tape, interventions: interventions)
    }

    /// Forward with given weight variables: pass `weights.map { tape.parameter($0) }` to train.
    ///
    /// - Parameters:
    ///   - input: (B, T, d), 1 ≤ T ≤ P.
    ///   - weights: every parameter, as tape parameters or constants.
    ///   - interventions: applied in order at their sites; positions index the T rows of a prompt.
    public func forward(
        _ input: Tensor, weights w: RegressionWeights<Variable>, tape: Tape, interventions: [Intervention] = []
    ) -> Output {
        let c = configuration
        precondition(input.rank == 3 && input.shape[2] == c.inputDimension,
                     "RegressionTransformer: input \(input.shape) is not (B, T, \(c.inputDimension))")
        let b = input.shape[0], t = input.shape[1], n = b * t
        precondition(b >= 1 && t >= 1 && t <= c.positionCount,
                     "RegressionTransformer: \(t) rows per prompt, the model has \(c.positionCount) positions")
        var context = InterventionContext(
            interventions: interventions, rowStarts: (0..<b).map { $0 * t },
            lengths: Array(repeating: t, count: b), headDimensions: c.headDimensions)

        let rows = Variable(constant: input.reshaped([n, c.inputDimension]))
        let positions = tape.rows(w.positionEmbedding, (0..<n).map { $0 % t })  // (N, D)
        var h = tape.add(tape.linearWithBias(rows, weight: w.readInWeight, bias: w.readInBias), positions)
        for layer in 0..<c.layerCount {
            h = block(h, w.layers[layer], layer: layer, batch: b, tokens: t, tape: tape, context: &context)
        }
        h = tape.layerNorm(h, weight: w.finalNormWeight, bias: w.finalNormBias, epsilon: c.layerNormEpsilon)
        let perPrompt = (t + 1) / 2
        let xRows = (0..<(b * perPrompt)).map { ($0 / perPrompt) * t + 2 * ($0 % perPrompt) }
        let readOut = tape.linear(tape.rows(h, xRows), weight: w.readOutWeight, bias: w.readOutBias)  // (B·⌈T/2⌉, 1)
        return Output(predictions: tape.reshape(readOut, [b, perPrompt]), captures: context.captures)
    }

    /// One pre-LayerNorm block: x (N, D) → (N, D).
    func block(
        _ x: Variable, _ w: RegressionBlockWeights<Variable>, layer: Int, batch b: Int, tokens t: Int,
        tape: Tape, context: inout InterventionContext
    ) -> Variable {
        let c = configuration
        let a = tape.layerNorm(x, weight: w.attentionNormWeight, bias: w.attentionNormBias, epsilon: c.layerNormEpsilon)
        let qkv = tape.linearWithBias(a, weight: w.attentionWeight, bias: w.attentionBias)  // (N, 3·D)
        var heads = tape.batchedCausalAttention(qkv, batch: b, tokens: t, heads: c.headCount)  // (N, H·Dh)
        heads = context.intervene(at: .attentionHeads(layer: layer), heads, tape: tape)
        var h = tape.add(x, tape.linearWithBias(heads, weight: w.attentionOutputWeight, bias: w.attentionOutputBias))
        let m = tape.layerNorm(h, weight: w.mlpNormWeight, bias: w.mlpNormBias, epsilon: c.layerNormEpsilon)
        let up = tape.geluTanhFused(tape.linearWithBias(m, weight: w.mlpUpWeight, bias: w.mlpUpBias))  // (N, F)
        h = tape.add(h, tape.linearWithBias(up, weight: w.mlpDownWeight, bias: w.mlpDownBias))
        return context.intervene(at: .residual(layer: layer), h, tape: tape)
    }
}

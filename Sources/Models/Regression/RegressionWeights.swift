// Shape legend: B batch, T tokens (2 per point), D model dim (n_embd), H heads, Dh head dim,
// F FFN dim (4·D), L layers; d the regression input dimension, P = 2·maxPoints positions.
import Foundation
import Tensors

/// Every parameter of the regression transformer, one value per named tensor (llm.c's
/// ParameterTensors). `Value` is `Tensor` for storage, gradients and Adam moments, and `Variable`
/// inside a forward pass. `all` lists the values in one fixed order, the order of `names`, which
/// Adam and the checkpoint sweep.
public struct RegressionWeights<Value> {
    public var readInWeight: Value        // (D, d)
    public var readInBias: Value          // (D)
    public var positionEmbedding: Value   // (P, D)
    public var layers: [RegressionBlockWeights<Value>]
    public var finalNormWeight: Value     // (D)
    public var finalNormBias: Value       // (D)
    public var readOutWeight: Value       // (1, D)
    public var readOutBias: Value         // (1)

    public init(readInWeight: Value, readInBias: Value, positionEmbedding: Value, layers: [RegressionBlockWeights<Value>],
                finalNormWeight: Value, finalNormBias: Value, readOutWeight: Value, readOutBias: Value) {
        self.readInWeight = readInWeight
        self.readInBias = readInBias
        self.positionEmbedding = positionEmbedding
        self.layers = layers
        self.finalNormWeight = finalNormWeight
        self.finalNormBias = finalNormBias
        self.readOutWeight = readOutWeight
        self.readOutBias = readOutBias
    }

    /// The values in checkpoint order: read-in, positions, each block, final norm, read-out.
    public var all: [Value] {
        [readInWeight, readInBias, positionEmbedding] + layers.flatMap(\.all)
            + [finalNormWeight, finalNormBias, readOutWeight, readOutBias]
    }

    /// Rebuilds the structure from values in the order of `all`.
    /// - Precondition: `values.count == 7 + 12·layerCount`.
    public init(all values: [Value], layerCount: Int) {
        let perBlock = RegressionBlockWeights<Value>.count
        precondition(values.count == 7 + perBlock * layerCount,
                     "RegressionWeights: \(values.count) values for \(layerCount) layers (expected \(7 + perBlock * layerCount))")
        let tail = 3 + perBlock * layerCount
        self.init(
            readInWeight: values[0], readInBias: values[1], positionEmbedding: values[2],
            layers: (0..<layerCount).map { l in RegressionBlockWeights(all: Array(values[(3 + perBlock * l)..<(3 + perBlock * (l + 1))])) },
            finalNormWeight: values[tail], finalNormBias: values[tail + 1],
            readOutWeight: values[tail + 2], readOutBias: values[tail + 3])
    }

    public func map<U>(_ transform: (Value) throws -> U) rethrows -> RegressionWeights<U> {
        RegressionWeights<U>(all: try all.map(transform), layerCount: layers.count)
    }

    /// Names in the order of `all` (GPT-2's names where GPT-2 has the tensor).
    public static func names(layerCount: Int) -> [String] {
        ["read_in.weight", "read_in.bias", "wpe.weight"]
            + (0..<layerCount).flatMap { l in RegressionBlockWeights<Value>.names.map { "h.\(l).\($0)" } }
            + ["ln_f.weight", "ln_f.bias", "read_out.weight", "read_out.bias"]
    }
}

/// One pre-LayerNorm block.
public struct RegressionBlockWeights<Value> {
    public var attentionNormWeight: Value    // (D)
    public var attentionNormBias: Value      // (D)
    public var attentionWeight: Value        // (3·D, D): q, k, v stacked
    public var attentionBias: Value          // (3·D)
    public var attentionOutputWeight: Value  // (D, D)
    public var attentionOutputBias: Value    // (D)
    public var mlpNormWeight: Value          // (D)
    public var mlpNormBias: Value            // (D)
    public var mlpUpWeight: Value            // (F, D)
    public var mlpUpBias: Value              // (F)
    public var mlpDownWeight: Value          // (D, F)
    public var mlpDownBias: Value            // (D)

    static var count: Int { 12 }
    static var names: [String] {
        ["ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias",
         "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"]
    }

    var all: [Value] {
        [attentionNormWeight, attentionNormBias, attentionWeight, attentionBias, attentionOutputWeight, attentionOutputBias,
         mlpNormWeight, mlpNormBias, mlpUpWeight, mlpUpBias, mlpDownWeight, mlpDownBias]
    }

    init(all v: [Value]) {
        precondition(v.count == Self.count, "RegressionBlockWeights: \(v.count) values, expected \(Self.count)")
        attentionNormWeight = v[0]; attentionNormBias = v[1]; attentionWeight = v[2]; attentionBias = v[3]
        attentionOutputWeight = v[4]; attentionOutputBias = v[5]; mlpNormWeight = v[6]; mlpNormBias = v[7]
        mlpUpWeight = v[8]; mlpUpBias = v[9]; mlpDownWeight = v[10]; mlpDownBias = v[11]
    }
}

extension RegressionWeights where Value == Tensor {
    /// The shape of every parameter for `configuration`, in the order of `all`.
    public static func shapes(for c: RegressionTransformerConfiguration) -> [[Int]] {
        let d = c.embeddingWidth, f = c.feedForwardWidth
        let block: [[Int]] = [[d], [d], [3 * d, d], [3 * d], [d, d], [d], [d], [d], [f, d], [f], [d, f], [d]]
        return [[d, c.inputDimension], [d], [c.positionCount, d]]
            + Array(repeating: block, count: c.layerCount).flatMap { $0 }
            + [[d], [d], [1, d], [1]]
    }

    /// Zeros of every parameter's shape (gradient accumulators, Adam moments).
    public static func zeros(for c: RegressionTransformerConfiguration) -> RegressionWeights<Tensor> {
        RegressionWeights(all: shapes(for: c).map { Tensor.zeros($0) }, layerCount: c.layerCount)
    }

    /// Total number of scalars.
    public var parameterCount: Int { all.reduce(0) { $0 + $1.count } }

    /// GPT-2's initialisation (Hugging Face `_init_weights`): weights and positions N(0, 0.02²),
    /// the residual projections N(0, (0.02/sqrt(2L))²), biases 0, LayerNorm weights 1; the read-in
    /// and read-out as torch's `nn.Linear` default, U(±1/sqrt(fan_in)) for weight and bias.
    public static func initialized<G: RandomNumberGenerator>(for c: RegressionTransformerConfiguration, using generator: inout G) -> RegressionWeights<Tensor> {
        func normal(_ shape: [Int], _ std: Double) -> Tensor {
            Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float(std * gaussian(&generator)) })
        }
        func uniform(_ shape: [Int], fanIn: Int) -> Tensor {
            let bound = 1 / Double(fanIn).squareRoot()
            return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in
                Float((2 * unit(&generator) - 1) * bound)
            })
        }
        let d = c.embeddingWidth, f = c.feedForwardWidth
        let residualStd = 0.02 / (2 * Double(c.layerCount)).squareRoot()
        let readInWeight = uniform([d, c.inputDimension], fanIn: c.inputDimension)
        let readInBias = uniform([d], fanIn: c.inputDimension)
        let positions = normal([c.positionCount, d], 0.02)
        let layers = (0..<c.layerCount).map { _ in
            RegressionBlockWeights(all: [
                Tensor(shape: [d], repeating: 1), Tensor.zeros([d]),
                normal([3 * d, d], 0.02), Tensor.zeros([3 * d]),
                normal([d, d], residualStd), Tensor.zeros([d]),
                Tensor(shape: [d], repeating: 1), Tensor.zeros([d]),
                normal([f, d], 0.02), Tensor.zeros([f]),
                normal([d, f], residualStd), Tensor.zeros([d]),
            ])
        }
        let readOutWeight = uniform([1, d], fanIn: d)
        let readOutBias = uniform([1], fanIn: d)
        return RegressionWeights(
            readInWeight: readInWeight, readInBias: readInBias, positionEmbedding: positions, layers: layers,
            finalNormWeight: Tensor(shape: [d], repeating: 1), finalNormBias: Tensor.zeros([d]),
            readOutWeight: readOutWeight, readOutBias: readOutBias)
    }
}

/// Uniform in [0, 1) with 53 bits, and a Box–Muller normal: our own, so a seed gives the same
/// initialisation on every Swift release.
private func unit<G: RandomNumberGenerator>(_ g: inout G) -> Double { Double(g.next() >> 11) * 0x1.0p-53 }

private func gaussian<G: RandomNumberGenerator>(_ g: inout G) -> Double {
    let u1 = 1 - unit(&g), u2 = unit(&g)
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
}

extension RegressionWeights: Sendable where Value: Sendable {}
extension RegressionBlockWeights: Sendable where Value: Sendable {}

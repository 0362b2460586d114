// Shape legend (STYLE.md): B batch, T tokens, D model dim, H heads, Hkv KV heads, Dh head dim,
// F FFN dim, V vocab, L layers, E experts. Regression adds: N points per prompt, d input dim.

/// A scalar function of a d-dimensional input, one draw of a function class (Garg et al. 2022).
public protocol RegressionFunction: Sendable {
    /// The input dimension d.
    var dimension: Int { get }
    /// f(x) for x of shape (d).
    func evaluate(_ x: UnsafeBufferPointer<Float>) -> Float
}

extension RegressionFunction {
    /// f(x) for an array x of shape (d).
    public func evaluate(_ x: [Float]) -> Float {
        precondition(x.count == dimension, "input has \(x.count) values, the function takes \(dimension)")
        return x.withUnsafeBufferPointer { evaluate($0) }
    }
}

/// The function classes of the benchmark.
public enum FunctionClass: String, CaseIterable, Codable, Sendable {
    /// f(x) = w·x, w ~ N(0, I_d).
    case linear
    /// f(x) = w·x with w ~ N(0, I_d) restricted to `SparseLinear.nonZeroCount` random coordinates.
    case sparseLinear = "sparse-linear"
    /// f(x) = sqrt(2/100) · w2·relu(W1 x), 100 hidden units, all weights N(0, 1).
    case reluNetwork = "relu-network"
    /// A depth-4 binary tree on the signs of random coordinates, leaf values N(0, 1).
    case decisionTree = "decision-tree"

    /// One function of this class.
    /// - Precondition: `dimension >= 1` (and >= 3 for sparse linear).
    public func sample<G: RandomNumberGenerator>(dimension: Int, using generator: inout G) -> any RegressionFunction {
        switch self {
        case .linear: return LinearFunction.sampleDense(dimension: dimension, using: &generator)
        case .sparseLinear: return LinearFunction.sampleSparse(dimension: dimension, using: &generator)
        case .reluNetwork: return ReLUNetwork.sample(dimension: dimension, using: &generator)
        case .decisionTree: return DecisionTree.sample(dimension: dimension, using: &generator)
        }
    }
}

/// f(x) = w·x: the linear and sparse-linear classes.
public struct LinearFunction: RegressionFunction, Equatable {
    public let weights: [Float]  // (d)

    public init(weights: [Float]) { self.weights = weights }

    public var dimension: Int { weights.count }

    /// The number of non-zero weights of a sparse linear function (Garg et al.: k = 3).
    public static let sparseNonZeroCount = 3

    public func evaluate(_ x: UnsafeBufferPointer<Float>) -> Float {
        precondition(x.count == weights.count, "input has \(x.count) values, the function takes \(weights.count)")
        var sum: Float = 0
        weights.withUnsafeBufferPointer { w in
            for i in 0..<w.count { sum += w[i] * x[i] }
        }
        return sum
    }

    /// w ~ N(0, I_d).
    public static func sampleDense<G: RandomNumberGenerator>(dimension: Int, using generator: inout G) -> LinearFunction {
        precondition(dimension >= 1, "dimension must be positive, got \(dimension)")
        return LinearFunction(weights: (0..<dimension).map { _ in Float(generator.nextGaussian()) })
    }

    /// w ~ N(0, I_d), then every coordinate but `sparseNonZeroCount` random ones set to zero.
    /// - Precondition: `dimension >= sparseNonZeroCount`.
    public static func sampleSparse<G: RandomNumberGenerator>(dimension: Int, using generator: inout G) -> LinearFunction {
        precondition(
            dimension >= sparseNonZeroCount,
            "sparse linear needs at least \(sparseNonZeroCount) dimensions, got \(dimension)")
        let dense = sampleDense(dimension: dimension, using: &generator).weights
        let kept = generator.sampleWithoutReplacement(sparseNonZeroCount, from: dimension)
        var weights = [Float](repeating: 0, count: dimension)
        for i in kept { weights[i] = dense[i] }
        return LinearFunction(weights: weights)
    }
}

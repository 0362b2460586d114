import Foundation

// Shape legend (STYLE.md): B batch, T tokens, D model dim, H heads, Hkv KV heads, Dh head dim,
// F FFN dim, V vocab, L layers, E experts. Regression adds: N points per prompt, d input dim.

/// The linear map x = A z (z ~ N(0, I_d)) giving Cov(x) = A Aᵀ = Q diag(λ) Qᵀ, with
/// λ_i = c / (i + 1), c chosen so that Σ λ_i = d, and Q a random rotation.
public struct SkewedCovariance: Equatable, Sendable {
    public let dimension: Int
    /// The eigenvalues λ, in decreasing order; they sum to d.
    public let eigenvalues: [Double]
    /// The orthogonal matrix Q, (d, d) row-major.
    public let rotation: [Double]
    /// A = Q diag(sqrt λ), (d, d) row-major.
    public let transform: [Float]

    public init<G: RandomNumberGenerator>(dimension d: Int, using generator: inout G) {
        precondition(d >= 1, "dimension must be positive, got \(d)")
        let raw = (0..<d).map { 1 / Double($0 + 1) }
        let total = raw.reduce(0, +)
        eigenvalues = raw.map { $0 * Double(d) / total }
        rotation = Self.randomRotation(dimension: d, using: &generator)
        var a = [Float](repeating: 0, count: d * d)
        for row in 0..<d {
            for column in 0..<d {
                a[row * d + column] = Float(rotation[row * d + column] * eigenvalues[column].squareRoot())
            }
        }
        dimension = d
        transform = a
    }

    /// x = A z for one z of shape (d), written into `x`.
    public func apply(_ z: [Float], into x: UnsafeMutableBufferPointer<Float>) {
        precondition(z.count == dimension && x.count == dimension, "expected (\(dimension)) vectors")
        for row in 0..<dimension {
            var sum: Float = 0
            for column in 0..<dimension { sum += transform[row * dimension + column] * z[column] }
            x[row] = sum
        }
    }

    /// An orthogonal matrix from Gram–Schmidt on a Gaussian matrix (rows orthonormalised), with
    /// modified Gram–Schmidt run twice for accuracy. Q's distribution is Haar up to the signs,
    /// which do not matter for a covariance.
    static func randomRotation<G: RandomNumberGenerator>(dimension d: Int, using generator: inout G) -> [Double] {
        var q = (0..<(d * d)).map { _ in generator.nextGaussian() }
        for row in 0..<d {
            for _ in 0..<2 {
                for previous in 0..<row {
                    var dot = 0.0
                    for i in 0..<d { dot += q[row * d + i] * q[previous * d + i] }
                    for i in 0..<d { q[row * d + i] -= dot * q[previous * d + i] }
                }
            }
            var norm = 0.0
            for i in 0..<d { norm += q[row * d + i] * q[row * d + i] }
            norm = norm.squareRoot()
            for i in 0..<d { q[row * d + i] /= norm }
        }
        return q
    }
}

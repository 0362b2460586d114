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

    /// An orthogonal matrix, (d, d) row-major: the rows of a Gaussian matrix orthonormalised.
    /// Q's distribution is Haar up to the signs of its rows, which a covariance does not see.
    static func randomRotation<G: RandomNumberGenerator>(dimension d: Int, using generator: inout G) -> [Double] {
        var basis: [[Double]] = []
        while basis.count < d {
            var row = (0..<d).map { _ in generator.nextGaussian() }
            // A Gaussian row in the span of the others has probability 0; redraw if it happens.
            if GramSchmidt.orthonormalize(&row, against: basis) { basis.append(row) }
        }
        return basis.flatMap { $0 }
    }
}

/// Modified Gram–Schmidt, run twice ("twice is enough", Giraud et al.) for accuracy in Double.
enum GramSchmidt {
    /// Removes from `v` its components along the orthonormal `basis`.
    static func subtractProjections(_ v: inout [Double], onto basis: [[Double]]) {
        for _ in 0..<2 {
            for u in basis {
                var dot = 0.0
                for i in v.indices { dot += u[i] * v[i] }
                for i in v.indices { v[i] -= dot * u[i] }
            }
        }
    }

    /// Makes `v` orthogonal to `basis` and of unit norm.
    /// - Returns: false (leaving `v` unnormalised) when nothing of `v` is left outside the span.
    static func orthonormalize(_ v: inout [Double], against basis: [[Double]]) -> Bool {
        subtractProjections(&v, onto: basis)
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 1e-12 else { return false }
        for i in v.indices { v[i] /= norm }
        return true
    }
}

/// Small dense linear algebra in Double for the least-squares baseline (d is at most a few
/// dozen, so O(d³) per call is nothing next to a transformer forward).
public enum DenseSolver {
    /// Solves A x = b for a symmetric positive-definite A, (n, n) row-major, by Cholesky
    /// (A = L Lᵀ, then two triangular solves).
    /// - Returns: x of shape (n), or nil when A is not numerically positive definite.
    /// - Precondition: `a.count == n * n`, `b.count == n`.
    public static func solveSymmetricPositiveDefinite(_ a: [Double], _ b: [Double]) -> [Double]? {
        let n = b.count
        precondition(a.count == n * n, "matrix has \(a.count) values, expected (\(n), \(n))")
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = a[i * n + j]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard sum > 0, sum.isFinite else { return nil }
                    l[i * n + i] = sum.squareRoot()
                } else {
                    l[i * n + j] = sum / l[j * n + j]
                }
            }
        }
        var y = b  // L y = b
        for i in 0..<n {
            var sum = y[i]
            for k in 0..<i { sum -= l[i * n + k] * y[k] }
            y[i] = sum / l[i * n + i]
        }
        var x = y  // Lᵀ x = y
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = x[i]
            for k in (i + 1)..<n { sum -= l[k * n + i] * x[k] }
            x[i] = sum / l[i * n + i]
        }
        return x
    }

    /// The minimum-norm least-squares solution w of X w ≈ y for X of shape (k, d):
    /// k >= d: (XᵀX + ridge·I) w = Xᵀy; k < d: w = Xᵀ (XXᵀ + ridge·I)⁻¹ y (the exact
    /// interpolant of least norm). The ridge grows tenfold until the system factors.
    /// - Precondition: `x.count == k * d`, `y.count == k`.
    public static func minimumNormLeastSquares(x: [Double], y: [Double], dimension d: Int, ridge: Double = 1e-10) -> [Double] {
        let k = y.count
        precondition(x.count == k * d, "X has \(x.count) values, expected (\(k), \(d))")
        if k == 0 { return [Double](repeating: 0, count: d) }
        if k >= d {
            var gram = [Double](repeating: 0, count: d * d)  // XᵀX
            var rhs = [Double](repeating: 0, count: d)  // Xᵀy
            for row in 0..<k {
                for i in 0..<d {
                    let xi = x[row * d + i]
                    rhs[i] += xi * y[row]
                    for j in 0..<d { gram[i * d + j] += xi * x[row * d + j] }
                }
            }
            return solveWithGrowingRidge(gram, rhs, ridge: ridge)
        }
        var gram = [Double](repeating: 0, count: k * k)  // XXᵀ
        for r in 0..<k {
            for s in 0..<k {
                var dot = 0.0
                for i in 0..<d { dot += x[r * d + i] * x[s * d + i] }
                gram[r * k + s] = dot
            }
        }
        let alpha = solveWithGrowingRidge(gram, y, ridge: ridge)
        var w = [Double](repeating: 0, count: d)
        for r in 0..<k {
            for i in 0..<d { w[i] += x[r * d + i] * alpha[r] }
        }
        return w
    }

    private static func solveWithGrowingRidge(_ a: [Double], _ b: [Double], ridge: Double) -> [Double] {
        let n = b.count
        var lambda = ridge
        let scale = max((0..<n).map { a[$0 * n + $0] }.max() ?? 1, 1)
        while lambda < scale {
            var regularised = a
            for i in 0..<n { regularised[i * n + i] += lambda }
            if let solution = solveSymmetricPositiveDefinite(regularised, b) { return solution }
            lambda *= 10
        }
        // Unreachable for finite inputs: A + scale·I is positive definite for a Gram matrix A.
        return [Double](repeating: 0, count: n)
    }
}

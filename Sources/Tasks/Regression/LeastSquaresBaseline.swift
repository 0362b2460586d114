// Shape legend (STYLE.md): B batch, T tokens, D model dim, H heads, Hkv KV heads, Dh head dim,
// F FFN dim, V vocab, L layers, E experts. Regression adds: N points per prompt, d input dim.

/// Least squares, minimum-norm when underdetermined (`DenseSolver.minimumNormLeastSquares`).
public struct LeastSquaresBaseline: RegressionBaseline {
    public var name: String { "least-squares" }
    public var ridge: Double

    public init(ridge: Double = 1e-10) { self.ridge = ridge }

    public func predict(contextX: ArraySlice<Float>, contextY: ArraySlice<Float>, query: ArraySlice<Float>) -> Float {
        let d = query.count, k = contextY.count
        precondition(contextX.count == k * d, "context X has \(contextX.count) values, expected (\(k), \(d))")
        if k == 0 { return 0 }
        let w = DenseSolver.minimumNormLeastSquares(
            x: contextX.map(Double.init), y: contextY.map(Double.init), dimension: d, ridge: ridge)
        return Float(zip(w, query).reduce(0) { $0 + $1.0 * Double($1.1) })
    }
}

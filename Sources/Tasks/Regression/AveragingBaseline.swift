// Shape legend (STYLE.md): B batch, T tokens, D model dim, H heads, Hkv KV heads, Dh head dim,
// F FFN dim, V vocab, L layers, E experts. Regression adds: N points per prompt, d input dim.

/// Garg et al.'s averaging estimator: ŵ = (1/k) Σ y_i x_i, prediction ŵ·x_query (unbiased for
/// w when x ~ N(0, I)); 0 without context.
public struct AveragingBaseline: RegressionBaseline {
    public var name: String { "averaging" }

    public init() {}

    public func predict(contextX: ArraySlice<Float>, contextY: ArraySlice<Float>, query: ArraySlice<Float>) -> Float {
        let d = query.count, k = contextY.count
        precondition(contextX.count == k * d, "context X has \(contextX.count) values, expected (\(k), \(d))")
        if k == 0 { return 0 }
        let xStart = contextX.startIndex, yStart = contextY.startIndex, qStart = query.startIndex
        var w = [Double](repeating: 0, count: d)
        for point in 0..<k {
            let y = Double(contextY[yStart + point])
            for i in 0..<d { w[i] += y * Double(contextX[xStart + point * d + i]) }
        }
        var prediction = 0.0
        for i in 0..<d { prediction += w[i] / Double(k) * Double(query[qStart + i]) }
        return Float(prediction)
    }
}

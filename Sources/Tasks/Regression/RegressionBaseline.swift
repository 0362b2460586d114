// Shape legend (STYLE.md): B batch, T tokens, D model dim, H heads, Hkv KV heads, Dh head dim,
// F FFN dim, V vocab, L layers, E experts. Regression adds: N points per prompt, d input dim.

/// An estimator that predicts y at a query from the in-context points before it.
public protocol RegressionBaseline: Sendable {
    var name: String { get }
    /// - Parameters:
    ///   - contextX: (k, d) row-major, k >= 0.
    ///   - contextY: (k).
    ///   - query: (d).
    func predict(contextX: ArraySlice<Float>, contextY: ArraySlice<Float>, query: ArraySlice<Float>) -> Float
}

extension RegressionBaseline {
    /// Predictions for every point of every prompt from the points before it: (B, N), like a
    /// causal transformer's reading at each x. The first point of a prompt has no context.
    public func predictions(for batch: RegressionBatch) -> [Float] {
        let d = batch.dimension, n = batch.points
        var out = [Float](repeating: 0, count: batch.batchSize * n)
        for b in 0..<batch.batchSize {
            let promptStart = b * n
            for point in 0..<n {
                out[promptStart + point] = predict(
                    contextX: batch.xs[(promptStart * d)..<((promptStart + point) * d)],
                    contextY: batch.ys[promptStart..<(promptStart + point)],
                    query: batch.x(prompt: b, point: point))
            }
        }
        return out
    }
}

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

/// The mean y of the `neighbours` nearest in-context xs (Euclidean; ties to the earlier point);
/// with fewer points, the mean of all of them; with none, 0.
public struct NearestNeighboursBaseline: RegressionBaseline {
    public var neighbours: Int
    public var name: String { "\(neighbours)-nearest-neighbours" }

    public init(neighbours: Int = 3) {
        precondition(neighbours >= 1, "need at least one neighbour, got \(neighbours)")
        self.neighbours = neighbours
    }

    public func predict(contextX: ArraySlice<Float>, contextY: ArraySlice<Float>, query: ArraySlice<Float>) -> Float {
        let d = query.count, k = contextY.count
        precondition(contextX.count == k * d, "context X has \(contextX.count) values, expected (\(k), \(d))")
        if k == 0 { return 0 }
        let xStart = contextX.startIndex, yStart = contextY.startIndex, qStart = query.startIndex
        var distances: [(Float, Int)] = []
        distances.reserveCapacity(k)
        for point in 0..<k {
            var sum: Float = 0
            for i in 0..<d {
                let delta = contextX[xStart + point * d + i] - query[qStart + i]
                sum += delta * delta
            }
            distances.append((sum, point))
        }
        distances.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        let chosen = distances.prefix(neighbours)
        return chosen.reduce(0) { $0 + contextY[yStart + $1.1] } / Float(chosen.count)
    }
}

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

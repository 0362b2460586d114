// Shape legend (STYLE.md): B batch, T tokens, D model dim, H heads, Hkv KV heads, Dh head dim,
// F FFN dim, V vocab, L layers, E experts. Regression adds: N points per prompt, d input dim.

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

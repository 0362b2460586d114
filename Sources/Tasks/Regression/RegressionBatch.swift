import Tensors

// Shape legend (STYLE.md): B batch, T tokens, D model dim, H heads, Hkv KV heads, Dh head dim,
// F FFN dim, V vocab, L layers, E experts. Regression adds: N points per prompt, d input dim.

/// B prompts of N points each: (x_1, y_1), ..., (x_N, y_N). The last point is the query of a
/// prompt with N - 1 in-context examples; a model trained Garg-style predicts every y_i from
/// the points before it.
public struct RegressionBatch: Equatable, Sendable {
    public let batchSize: Int
    public let points: Int
    public let dimension: Int
    public var xs: [Float]  // (B, N, d)
    public var ys: [Float]  // (B, N)

    /// - Precondition: the counts match (B, N, d) and (B, N).
    public init(batchSize: Int, points: Int, dimension: Int, xs: [Float], ys: [Float]) {
        precondition(xs.count == batchSize * points * dimension, "xs has \(xs.count) values, expected (\(batchSize), \(points), \(dimension))")
        precondition(ys.count == batchSize * points, "ys has \(ys.count) values, expected (\(batchSize), \(points))")
        self.batchSize = batchSize
        self.points = points
        self.dimension = dimension
        self.xs = xs
        self.ys = ys
    }

    /// x of point `point` of prompt `prompt`, shape (d).
    public func x(prompt: Int, point: Int) -> ArraySlice<Float> {
        let start = (prompt * points + point) * dimension
        return xs[start..<(start + dimension)]
    }

    public func y(prompt: Int, point: Int) -> Float { ys[prompt * points + point] }

    /// The transformer's input, (B, 2N - 1, d): x_1, y_1, ..., x_{N-1}, y_{N-1}, x_N, each y
    /// in coordinate 0 of a zero row. The prediction for y_i is read at the row of x_i.
    public func promptTensor() -> Tensor { interleaved(rowsPerPrompt: 2 * points - 1) }

    /// (B, 2N, d): every point with its y, for training on all N predictions at once.
    public func trainingTensor() -> Tensor { interleaved(rowsPerPrompt: 2 * points) }

    private func interleaved(rowsPerPrompt rows: Int) -> Tensor {
        var scalars = [Float](repeating: 0, count: batchSize * rows * dimension)
        scalars.withUnsafeMutableBufferPointer { out in
            xs.withUnsafeBufferPointer { x in
                for b in 0..<batchSize {
                    for n in 0..<points {
                        let xRow = (b * rows + 2 * n) * dimension
                        let source = (b * points + n) * dimension
                        for i in 0..<dimension { out[xRow + i] = x[source + i] }
                        if 2 * n + 1 < rows { out[(b * rows + 2 * n + 1) * dimension] = ys[b * points + n] }
                    }
                }
            }
        }
        return Tensor(shape: [batchSize, rows, dimension], scalars: scalars)
    }
}

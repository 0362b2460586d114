// Shape legend: B prompts, N points per prompt, d input dim, D model dim, L layers, H heads,
// Dh head dim.
import Models
import Tasks
import Tensors

/// One prepared steering of the regression transformer, applied at the query's x row of every
/// prompt (the last row of `RegressionBatch.promptTensor`).
public enum RegressionSteering: Sendable {
    /// The plain transformer.
    case none
    /// Adds `vector` (D) to the residual after `layer`.
    case functionVector(layer: Int, vector: Tensor)
    /// Adds row l of `vectors` (L, D) to the residual after every layer l.
    case learnedTaskVectors(vectors: Tensor)
    /// a ← (1 − α)·a + α·t per head at every layer: `alphas` (L, H) in [0, 1], `means` (L, H·Dh).
    case softInjection(alphas: Tensor, means: Tensor)

    /// The interventions for a call of `batchSize` prompts.
    public func interventions(batchSize b: Int) -> [Intervention] {
        func repeated(_ row: [Float]) -> Variable {
            var scalars = [Float]()
            scalars.reserveCapacity(b * row.count)
            for _ in 0..<b { scalars += row }
            return Variable(constant: Tensor(shape: [b, row.count], scalars: scalars))
        }
        switch self {
        case .none:
            return []
        case .functionVector(let layer, let vector):
            return [Intervention(.residual(layer: layer), .add(repeated(vector.scalars)))]
        case .learnedTaskVectors(let vectors):
            return (0..<vectors.shape[0]).map { Intervention(.residual(layer: $0), .add(repeated(vectors.row($0)))) }
        case .softInjection(let alphas, let means):
            return SoftInjectionInterventions.make(embedding: means, alphas: alphas, batchSize: b)
        }
    }

    /// The prediction at the last point (the query) of every prompt, (B), in calls of `chunk` prompts.
    public func queryPredictions(of model: RegressionTransformer, on batch: RegressionBatch, chunk: Int = 256) -> [Float] {
        precondition(batch.dimension == model.configuration.inputDimension && batch.points <= model.configuration.maxPoints,
                     "steering: prompts (N \(batch.points), d \(batch.dimension)) do not fit the model")
        let input = batch.promptTensor(), rows = 2 * batch.points - 1, d = batch.dimension, n = batch.points
        var out = [Float]()
        out.reserveCapacity(batch.batchSize)
        var start = 0
        while start < batch.batchSize {
            let count = min(chunk, batch.batchSize - start)
            let part = Tensor(shape: [count, rows, d], scalars: Array(input.scalars[(start * rows * d)..<((start + count) * rows * d)]))
            let predictions = model.forward(part, interventions: interventions(batchSize: count)).predictions.value.scalars  // (B, N)
            for b in 0..<count { out.append(predictions[b * n + n - 1]) }
            start += count
        }
        return out
    }

    /// Mean over prompts of (ŷ − y)² / d at the query.
    public func queryError(of model: RegressionTransformer, on batch: RegressionBatch) -> Double {
        Self.queryError(predictions: queryPredictions(of: model, on: batch), batch: batch)
    }

    static func queryError(predictions: [Float], batch: RegressionBatch) -> Double {
        var sum = 0.0
        for b in 0..<batch.batchSize {
            let delta = Double(predictions[b]) - Double(batch.y(prompt: b, point: batch.points - 1))
            sum += delta * delta
        }
        return sum / (Double(batch.batchSize) * Double(batch.dimension))
    }
}

extension RegressionBatch {
    /// The first `count` points of every prompt.
    public func prefix(points count: Int) -> RegressionBatch {
        precondition(count >= 1 && count <= points, "prefix of \(count) points of prompts with \(points)")
        var xs = [Float](), ys = [Float]()
        xs.reserveCapacity(batchSize * count * dimension)
        ys.reserveCapacity(batchSize * count)
        for b in 0..<batchSize {
            xs += self.xs[(b * points * dimension)..<((b * points + count) * dimension)]
            ys += self.ys[(b * points)..<(b * points + count)]
        }
        return RegressionBatch(batchSize: batchSize, points: count, dimension: dimension, xs: xs, ys: ys)
    }
}

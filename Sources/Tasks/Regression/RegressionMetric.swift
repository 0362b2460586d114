/// The benchmark's error: squared error divided by d, per prompt length, averaged over prompts
/// (Garg et al. 2022), so that predicting 0 for a linear function scores about 1.
public enum RegressionMetric {
    /// - Parameters:
    ///   - predictions: (B, N), prediction of y at each point from the points before it.
    ///   - batch: the prompts; its ys are the targets.
    /// - Returns: (N): entry i is the mean over prompts of (ŷ_i - y_i)² / d, the error with i
    ///   in-context examples.
    /// - Precondition: `predictions.count == B * N`.
    public static func squaredErrorByLength(predictions: [Float], batch: RegressionBatch) -> [Double] {
        let n = batch.points
        precondition(predictions.count == batch.batchSize * n, "predictions have \(predictions.count) values, expected (\(batch.batchSize), \(n))")
        var errors = [Double](repeating: 0, count: n)
        for b in 0..<batch.batchSize {
            for point in 0..<n {
                let delta = Double(predictions[b * n + point]) - Double(batch.ys[b * n + point])
                errors[point] += delta * delta
            }
        }
        let scale = 1 / (Double(batch.batchSize) * Double(batch.dimension))
        return errors.map { $0 * scale }
    }

    /// The error curve of a baseline on a batch.
    public static func squaredErrorByLength(of baseline: any RegressionBaseline, on batch: RegressionBatch) -> [Double] {
        squaredErrorByLength(predictions: baseline.predictions(for: batch), batch: batch)
    }
}

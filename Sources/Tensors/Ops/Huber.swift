// The Huber loss of a prediction against a constant target, and its gradient. Shapes: any, equal.

extension Tape {
    /// Mean over elements of the Huber loss of r = prediction − target (torch's `huber_loss`,
    /// reduction "mean"): ½ r² where |r| ≤ δ, δ (|r| − ½ δ) beyond; shape [1].
    /// The gradient with respect to the prediction is r/n inside and δ·sign(r)/n outside.
    /// - Precondition: equal shapes, δ > 0.
    public func huberLoss(_ prediction: Variable, target: Tensor, delta: Float = 1) -> Variable {
        precondition(prediction.shape == target.shape, "huberLoss: prediction \(prediction.shape), target \(target.shape)")
        precondition(delta > 0, "huberLoss: delta \(delta) must be positive")
        let n = max(1, target.count)
        let residual = zipMap(prediction.value, target) { $0 - $1 }
        var total = 0.0
        for r in residual.scalars {
            let a = abs(r)
            total += Double(a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta))
        }
        let y = Tensor(shape: [1], scalars: [Float(total / Double(n))])
        return record(y, inputs: [prediction]) { dy in
            let scale = dy.scalars[0] / Float(n)
            return [residual.map { r in scale * (abs(r) <= delta ? r : (r > 0 ? delta : -delta)) }]
        }
    }
}

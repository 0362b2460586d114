// Shape legend: M prompts, N in-context examples, d input dim, D model dim, L layers, H heads,
// Dh head dim.
import Models
import Tasks
import Tensors

/// The head-level statistics every steering method starts from.
public enum RegressionHeadStatistics {
    /// Mean per-head outputs at the query over the prompts of `batch`: (L, H·Dh).
    public static func means(of model: RegressionTransformer, on batch: RegressionBatch) -> Tensor {
        let c = model.configuration, width = c.embeddingWidth
        let sites = (0..<c.layerCount).map { InterventionSite.attentionHeads(layer: $0) }
        let captures = model.forward(batch.promptTensor(), interventions: sites.map { Intervention($0, .capture) }).captures
        var means = [Float](repeating: 0, count: c.layerCount * width)
        let scale = 1 / Float(batch.batchSize)
        for (l, site) in sites.enumerated() {
            let rows = captures[site]!.scalars  // (M, H·Dh): every site was captured above
            for b in 0..<batch.batchSize {
                for j in 0..<width { means[l * width + j] += rows[b * width + j] * scale }
            }
        }
        return Tensor(shape: [c.layerCount, width], scalars: means)
    }

    /// P (L, H, D): P[l, h] = W_o[l][:, h·Dh ..< (h+1)·Dh] · means[l, h·Dh ..< (h+1)·Dh], what head
    /// h of layer l adds to the residual on average (the output projection's bias left out).
    public static func projected(_ means: Tensor, model: RegressionTransformer) -> Tensor {
        let c = model.configuration, l = c.layerCount, h = c.headCount, dh = c.headDimensions, d = c.embeddingWidth
        precondition(means.shape == [l, h * dh], "projected: means \(means.shape), expected [\(l), \(h * dh)]")
        var out = [Float](repeating: 0, count: l * h * d)
        out.withUnsafeMutableBufferPointer { p in
            means.scalars.withUnsafeBufferPointer { m in
                for layer in 0..<l {
                    model.weights.layers[layer].attentionOutputWeight.scalars.withUnsafeBufferPointer { w in  // (D, H·Dh)
                        ProjectedHeadMeans.projectHeads(
                            outputProjection: w, mean: UnsafeBufferPointer(rebasing: m[(layer * h * dh)..<((layer + 1) * h * dh)]), heads: h,
                            into: UnsafeMutableBufferPointer(rebasing: p[(layer * h * d)..<((layer + 1) * h * d)]))
                    }
                }
            }
        }
        return Tensor(shape: [l, h, d], scalars: out)
    }

    /// `clean` with the in-context examples of prompt m taken from prompt (m + shift) mod M — a
    /// different function — and the query point (x and target) kept.
    public static func corrupted(_ clean: RegressionBatch, shift: Int) -> RegressionBatch {
        let m = clean.batchSize, n = clean.points, d = clean.dimension
        precondition(m >= 2 && shift % m != 0, "corrupted: shift \(shift) of \(m) prompts pairs a prompt with itself")
        var xs = clean.xs, ys = clean.ys
        for b in 0..<m {
            let source = (b + shift) % m
            for point in 0..<(n - 1) {
                for i in 0..<d { xs[(b * n + point) * d + i] = clean.xs[(source * n + point) * d + i] }
                ys[b * n + point] = clean.ys[source * n + point]
            }
        }
        return RegressionBatch(batchSize: m, points: n, dimension: d, xs: xs, ys: ys)
    }

    /// Causal indirect effect of every head, (L, H): the query error of `corrupted` minus its error
    /// when that head's output at the query is replaced by its mean (positive: the head's mean
    /// carries the function).
    public static func indirectEffects(of model: RegressionTransformer, means: Tensor, corrupted: RegressionBatch) -> Tensor {
        let c = model.configuration, h = c.headCount, dh = c.headDimensions, m = corrupted.batchSize
        let base = RegressionSteering.none.queryError(of: model, on: corrupted)
        var effects = [Float](repeating: 0, count: c.layerCount * h)
        for layer in 0..<c.layerCount {
            for head in 0..<h {
                let start = layer * h * dh + head * dh
                let row = Array(means.scalars[start..<(start + dh)])
                let value = Tensor(shape: [m, dh], scalars: (0..<m).flatMap { _ in row })
                let patch = Intervention(.attentionHeads(layer: layer), .replaceHead(heads: Array(repeating: head, count: m), value: Variable(constant: value)))
                let n = corrupted.points
                let predictions = model.forward(corrupted.promptTensor(), interventions: [patch]).predictions.value.scalars
                let patched = RegressionSteering.queryError(predictions: (0..<m).map { predictions[$0 * n + n - 1] }, batch: corrupted)
                effects[layer * h + head] = Float(base - patched)
            }
        }
        return Tensor(shape: [c.layerCount, h], scalars: effects)
    }

    /// The function vector (D): Σ of P[l, h] over the `count` heads of largest effect (ties to the
    /// lower index), and those heads as (layer, head).
    public static func functionVector(projected: Tensor, effects: Tensor, count: Int) -> (vector: Tensor, heads: [(layer: Int, head: Int)]) {
        let l = projected.shape[0], h = projected.shape[1], d = projected.shape[2]
        let order = (0..<(l * h)).sorted { effects.scalars[$0] != effects.scalars[$1] ? effects.scalars[$0] > effects.scalars[$1] : $0 < $1 }
        let chosen = Array(order.prefix(count))
        var vector = [Float](repeating: 0, count: d)
        for index in chosen {
            for i in 0..<d { vector[i] += projected.scalars[index * d + i] }
        }
        return (Tensor(shape: [d], scalars: vector), chosen.map { ($0 / h, $0 % h) })
    }
}

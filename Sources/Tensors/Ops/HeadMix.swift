// Soft injection of head outputs (SITE): a ← (1 − w) ⊙ a + w ⊙ t per (row, head).
// Shapes: a and t (R, H·Dh), weights w (R, H), broadcast over the head's Dh dimensions.

extension Tape {
    /// Mixes every head of `heads` towards `target` with per-(row, head) `weights` in [0, 1].
    public func mixHeads(_ heads: Variable, target: Variable, weights: Variable) -> Variable {
        let rows = heads.shape[0], h = weights.value.count / max(1, rows)
        precondition(target.shape == heads.shape && weights.shape == [rows, h] && heads.value.count % (rows * h) == 0,
                     "mixHeads: heads \(heads.shape), target \(target.shape), weights \(weights.shape)")
        let dh = heads.value.count / (rows * h)
        let a = heads.value, t = target.value, w = weights.value
        var y = a
        for r in 0..<rows {
            for head in 0..<h {
                let alpha = w.scalars[r * h + head], base = (r * h + head) * dh
                for d in 0..<dh { y.scalars[base + d] = (1 - alpha) * a.scalars[base + d] + alpha * t.scalars[base + d] }
            }
        }
        return record(y, inputs: [heads, target, weights]) { dy in
            var da = dy, dt = dy, dw = Tensor(shape: w.shape)
            for r in 0..<rows {
                for head in 0..<h {
                    let alpha = w.scalars[r * h + head], base = (r * h + head) * dh
                    var g: Float = 0
                    for d in 0..<dh {
                        let i = base + d
                        g += dy.scalars[i] * (t.scalars[i] - a.scalars[i])
                        da.scalars[i] = dy.scalars[i] * (1 - alpha)
                        dt.scalars[i] = dy.scalars[i] * alpha
                    }
                    dw.scalars[r * h + head] = g
                }
            }
            return [da, dt, dw]
        }
    }
}

// Shape legend: L layers, H heads, Dh head dim, D model dim.
import Tensors

extension Decoder {
    /// P (L, H, D): every head's row of `means` as it enters the residual stream — projected
    /// through its slice of its layer's output projection and, in a family with a norm after
    /// attention (Gemma's sandwich norms), through that norm linearised at the layer's whole
    /// attention output: what that head alone adds to the residual stream.
    ///
    /// P[l, h] = s_l · g_l ⊙ (W_o[l][:, h·Dh ..< (h+1)·Dh] · m[l][h·Dh ..< (h+1)·Dh]), where g_l
    /// is the post-attention norm's weight (with the family's offset) and s_l = 1 / rms(W_o[l] m[l])
    /// (with the norm's ε); s_l = 1 and g_l = 1 without a post-attention norm. So Σ_h P[l, h] is
    /// exactly what layer l's attention adds when its heads output m[l].
    /// - Parameter means: per layer, the head outputs (1, H·Dh) (or (H·Dh)).
    /// - Precondition: one row per layer, each H·Dh wide.
    public func projectedHeadOutputs(_ means: [Tensor]) -> Tensor {
        let c = configuration
        let l = c.layerCount, h = c.attentionHeads, dh = c.headDimensions, d = c.hiddenSize
        let width = h * dh
        precondition(means.count == l && means.allSatisfy { $0.count == width },
                     "projectedHeadOutputs: \(means.count) rows of \(means.map(\.count)) for \(l) layers of width \(width)")
        var projected = [Float](repeating: 0, count: l * h * d)
        projected.withUnsafeMutableBufferPointer { p in
            for layer in 0..<l {
                weights.layers[layer].outputProjection.floats().withUnsafeBufferPointer { w in  // (D, H·Dh)
                    means[layer].scalars.withUnsafeBufferPointer { m in
                        HeadProjection.projectHeads(
                            outputProjection: w, mean: m, heads: h,
                            into: UnsafeMutableBufferPointer(rebasing: p[(layer * h * d)..<((layer + 1) * h * d)]))
                    }
                }
                guard let norm = weights.layers[layer].postAttentionNorm else { continue }
                // The norm divides the whole attention output (the sum over heads) by its RMS.
                var squares: Double = 0
                for row in 0..<d {
                    var total: Double = 0
                    for head in 0..<h { total += Double(p[(layer * h + head) * d + row]) }
                    squares += total * total
                }
                let scale = Float(1 / (squares / Double(d) + Double(c.normEpsilon)).squareRoot())
                for head in 0..<h {
                    let out = (layer * h + head) * d
                    for row in 0..<d { p[out + row] *= scale * (norm.scalars[row] + c.normWeightOffset) }
                }
            }
        }
        return Tensor(shape: [l, h, d], scalars: projected)
    }
}

/// Head outputs through slices of an output projection, without a tape.
public enum HeadProjection {
    /// Every head's mean through its slice of one layer's output projection, no bias and no norm:
    /// p[h·D + i] = Σ_j W_o[i, h·Dh + j] · m[h·Dh + j], summed in j order. Shared with the
    /// regression transformer's head statistics.
    /// - Parameters:
    ///   - outputProjection: W_o (D, H·Dh), row-major.
    ///   - mean: m (H·Dh).
    ///   - p: (H, D), overwritten.
    /// - Precondition: the counts fit together.
    public static func projectHeads(
        outputProjection w: UnsafeBufferPointer<Float>, mean m: UnsafeBufferPointer<Float>, heads h: Int,
        into p: UnsafeMutableBufferPointer<Float>
    ) {
        let width = m.count, dh = width / max(1, h), d = p.count / max(1, h)
        precondition(h > 0 && dh * h == width && d * h == p.count && w.count == d * width,
                     "projectHeads: W_o of \(w.count), mean of \(width), \(h) heads, output of \(p.count)")
        for head in 0..<h {
            for row in 0..<d {
                var s: Float = 0
                let base = row * width + head * dh
                for j in 0..<dh { s += w[base + j] * m[head * dh + j] }
                p[head * d + row] = s
            }
        }
    }
}

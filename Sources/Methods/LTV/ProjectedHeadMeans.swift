// Shape legend: L layers, H heads, Dh head dim, D model dim.
import Models
import Tensors

/// P (L, H, D): every head's mean last-token output, projected through its slice of its layer's
/// output projection — what that head alone adds to the residual stream, on average.
public enum ProjectedHeadMeans {
    /// P[l, h] = W_o[l][:, h·Dh ..< (h+1)·Dh] · m[l][h·Dh ..< (h+1)·Dh].
    /// - Parameter means: per layer, the mean head outputs (1, H·Dh) (or (H·Dh)).
    /// - Precondition: one mean per layer, each H·Dh wide.
    public static func project(means: [Tensor], decoder: Decoder) -> Tensor {
        let c = decoder.configuration
        let l = c.layerCount, h = c.attentionHeads, dh = c.headDimensions, d = c.hiddenSize
        let width = h * dh
        precondition(means.count == l && means.allSatisfy { $0.count == width },
                     "ProjectedHeadMeans: \(means.count) means of \(means.map(\.count)) for \(l) layers of width \(width)")
        var projected = [Float](repeating: 0, count: l * h * d)
        projected.withUnsafeMutableBufferPointer { p in
            for layer in 0..<l {
                decoder.weights.layers[layer].outputProjection.floats().withUnsafeBufferPointer { w in  // (D, H·Dh)
                    means[layer].scalars.withUnsafeBufferPointer { m in
                        for head in 0..<h {
                            let out = (layer * h + head) * d
                            for row in 0..<d {
                                var s: Float = 0
                                let base = row * width + head * dh
                                for j in 0..<dh { s += w[base + j] * m[head * dh + j] }
                                p[out + row] = s
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [l, h, d], scalars: projected)
    }

    /// Runs `prompts` whole and projects the mean head outputs at their last token.
    /// - Returns: P (L, H, D) and the tokens run.
    public static func compute(model: LanguageModel, prompts: [[Int]]) -> (projected: Tensor, tokens: Int) {
        let sites = (0..<model.decoder.configuration.layerCount).map { InterventionSite.attentionHeads(layer: $0) }
        let (means, tokens) = LastTokenMeans.compute(model: model, prompts: prompts, sites: sites)
        return (project(means: sites.map { means[$0]! }, decoder: model.decoder), tokens)
    }
}

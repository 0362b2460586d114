// Shape legend: B prompts, K points of a source prompt, d input dim, D model dim, L layers,
// H heads, Dh head dim.
import Models
import Tasks
import Tensors

/// What the LTV reference builds a task vector from, per prompt: every head's output at the
/// query x of a SOURCE prompt of the same function (in training the trained-length prefix of the
/// prompt itself, at test an in-distribution prompt sharing its function), and that output
/// through the head's slice of the output projection. Row b belongs to prompt b.
public struct PromptHeadOutputs: Sendable {
    /// (B, L, H·Dh): the input of every layer's output projection at the source's query x.
    public let heads: Tensor
    /// (B, L, H, D): P_b[l, h] = W_o[l][:, h·Dh ..< (h+1)·Dh] · heads[b, l, h·Dh ..< (h+1)·Dh].
    public let projected: Tensor

    public var count: Int { heads.shape[0] }

    /// Runs the plain model on `sources` once, capturing every layer's heads at the query x.
    public init(model: RegressionTransformer, sources: RegressionBatch) {
        let c = model.configuration, b = sources.batchSize, width = c.embeddingWidth
        let l = c.layerCount, h = c.headCount
        let sites = (0..<l).map { InterventionSite.attentionHeads(layer: $0) }
        let captures = model.forward(sources.promptTensor(), interventions: sites.map { Intervention($0, .capture) }).captures
        var heads = [Float](repeating: 0, count: b * l * width)
        var projected = [Float](repeating: 0, count: b * l * h * width)
        for (layer, site) in sites.enumerated() {
            let rows = captures[site]!.scalars  // (B, H·Dh): every site was captured above
            model.weights.layers[layer].attentionOutputWeight.scalars.withUnsafeBufferPointer { w in  // (D, H·Dh)
                rows.withUnsafeBufferPointer { r in
                    projected.withUnsafeMutableBufferPointer { p in
                        for prompt in 0..<b {
                            let start = (prompt * l + layer) * width
                            for j in 0..<width { heads[start + j] = r[prompt * width + j] }
                            let out = (prompt * l + layer) * h * width
                            ProjectedHeadMeans.projectHeads(
                                outputProjection: w, mean: UnsafeBufferPointer(rebasing: r[(prompt * width)..<((prompt + 1) * width)]),
                                heads: h, into: UnsafeMutableBufferPointer(rebasing: p[out..<(out + h * width)]))
                        }
                    }
                }
            }
        }
        self.heads = Tensor(shape: [b, l, width], scalars: heads)
        self.projected = Tensor(shape: [b, l, h, width], scalars: projected)
    }

    init(heads: Tensor, projected: Tensor) {
        self.heads = heads
        self.projected = projected
    }

    /// The rows of prompts `range`.
    public func prompts(_ range: Range<Int>) -> PromptHeadOutputs {
        func slice(_ t: Tensor) -> Tensor {
            let per = t.count / t.shape[0]
            return Tensor(shape: [range.count] + t.shape.dropFirst(), scalars: Array(t.scalars[(range.lowerBound * per)..<(range.upperBound * per)]))
        }
        return PromptHeadOutputs(heads: slice(heads), projected: slice(projected))
    }

    /// Prompt b's heads as (L, H·Dh), SITE's per-prompt embedding.
    func embedding(prompt b: Int) -> Tensor {
        let l = heads.shape[1], width = heads.shape[2]
        return Tensor(shape: [l, width], scalars: Array(heads.scalars[(b * l * width)..<((b + 1) * l * width)]))
    }

    /// Layer l's projections of every prompt as the weight of a `linear` (B·D, H): row b·D + i,
    /// column h is P_b[l, h, i], so `linear(w_l (1, H), weight:)` is every prompt's Σ_h w[l,h] P_b[l,h].
    func projectionWeight(layer: Int) -> Tensor {
        let b = projected.shape[0], l = projected.shape[1], h = projected.shape[2], d = projected.shape[3]
        var out = [Float](repeating: 0, count: b * d * h)
        projected.scalars.withUnsafeBufferPointer { p in
            for prompt in 0..<b {
                for head in 0..<h {
                    let source = ((prompt * l + layer) * h + head) * d
                    for i in 0..<d { out[(prompt * d + i) * h + head] = p[source + i] }
                }
            }
        }
        return Tensor(shape: [b * d, h], scalars: out)
    }
}

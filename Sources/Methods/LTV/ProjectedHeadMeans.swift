// Shape legend: L layers, H heads, Dh head dim, D model dim.
import Models
import Tensors

/// P (L, H, D): every head's mean last-token output as it enters the residual stream — projected
/// through its slice of its layer's output projection and, in a family with a norm after
/// attention (Gemma's sandwich norms), through that norm linearised at the layer's mean
/// attention output: what that head alone adds to the residual stream, on average.
///
/// Invariant: Σ_h P[l, h] is exactly what layer l's attention adds to the residual stream when its
/// heads output the means (W_o m, then the post-attention norm where there is one). Without the
/// norm the raw W_o slices of such a family have a scale the norm then discards, so a vector
/// built from them adds the wrong amount to the residual stream. The backends compute it
/// (`ModelBackend.projectHeads`); the native one with `Decoder.projectedHeadOutputs`.
public enum ProjectedHeadMeans {
    /// `Decoder.projectedHeadOutputs` (the native engine's P).
    /// - Parameter means: per layer, the mean head outputs (1, H·Dh) (or (H·Dh)).
    public static func project(means: [Tensor], decoder: Decoder) -> Tensor {
        decoder.projectedHeadOutputs(means)
    }

    /// `HeadProjection.projectHeads`: one layer's heads through their W_o slices, no norm.
    static func projectHeads(
        outputProjection w: UnsafeBufferPointer<Float>, mean m: UnsafeBufferPointer<Float>, heads h: Int,
        into p: UnsafeMutableBufferPointer<Float>
    ) {
        HeadProjection.projectHeads(outputProjection: w, mean: m, heads: h, into: p)
    }

    /// Runs `prompts` whole on `backend` and projects the mean head outputs at their last token.
    /// - Returns: P (L, H, D) and the tokens run.
    /// - Throws: what the backend throws.
    public static func compute(backend: any ModelBackend, prompts: [[Int]]) throws -> (projected: Tensor, tokens: Int) {
        let l = backend.shape.layers
        let sites = (0..<l).map { InterventionSite.attentionHeads(layer: $0) }
        let (means, tokens) = try LastTokenMeans.compute(backend: backend, prompts: prompts, sites: sites)
        let rows = Tensor(shape: [l, backend.shape.attentionWidth], scalars: sites.flatMap { means[$0]!.scalars })
        return (try backend.projectHeads(rows), tokens)
    }
}

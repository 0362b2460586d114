// Shape legend: B prompts in a batch, L layers, H heads, Dh head dim.
import Models
import Tensors

/// A task embedding mixed into the heads at the last prompt token with given weights α (L, H):
/// a ← (1 − α) a + α t, as SITE does at inference. The head analysis builds these from stored
/// artifacts: α of one task with the embedding of another, or α = 1 on k chosen heads only.
public struct HeadInjection: PreparedMethod {
    /// (L, H·Dh).
    public let embedding: Tensor
    /// (L, H) in [0, 1].
    public let weights: Tensor

    /// - Precondition: `weights` is (L, H) with values in [0, 1] and `embedding` is (L, H·Dh).
    public init(embedding: Tensor, weights: Tensor) {
        precondition(weights.shape.count == 2 && embedding.shape.count == 2 && embedding.shape[0] == weights.shape[0]
                     && embedding.shape[1] % weights.shape[1] == 0,
                     "HeadInjection: embedding \(embedding.shape) for weights \(weights.shape)")
        precondition(weights.scalars.allSatisfy { $0 >= 0 && $0 <= 1 }, "HeadInjection: weights outside [0, 1]")
        self.embedding = embedding
        self.weights = weights
    }

    /// α of `alphaSource` with the task embedding of `embeddingSource` (the same model).
    /// - Precondition: both artifacts have the same shapes.
    public static func crossTask(alphaFrom alphaSource: SITEArtifact, embeddingFrom embeddingSource: SITEArtifact) -> HeadInjection {
        HeadInjection(embedding: embeddingSource.taskEmbedding, weights: alphaSource.alphas)
    }

    /// The task embedding of `artifact` fully patched (α = 1) into `heads` only, every other head
    /// left alone (α = 0): the SITE paper's test of the highest- vs lowest-α heads.
    /// - Precondition: every head lies within the artifact's (L, H).
    public static func patching(_ heads: [AttentionHead], of artifact: SITEArtifact) -> HeadInjection {
        let l = artifact.layerCount, h = artifact.headCount
        var weights = Tensor(shape: [l, h])
        for head in heads {
            precondition(head.layer >= 0 && head.layer < l && head.head >= 0 && head.head < h, "patching: head \(head) outside (\(l), \(h))")
            weights.scalars[head.layer * h + head.head] = 1
        }
        return HeadInjection(embedding: artifact.taskEmbedding, weights: weights)
    }

    public var shots: Int { 0 }
    public var preparation: PreparationCost { PreparationCost(fromCache: true) }

    public func interventions(batchSize: Int) -> [Intervention] {
        SoftInjectionInterventions.make(embedding: embedding, alphas: weights, batchSize: batchSize)
    }
}

extension SITEArtifact {
    /// The `count` heads of largest α, largest first (ties in layer-major order).
    public func topHeads(_ count: Int) -> [AttentionHead] {
        AttentionHead.top(count, of: alphaLogits.scalars, heads: headCount)
    }

    /// The `count` heads of smallest α, smallest first (ties in layer-major order).
    public func bottomHeads(_ count: Int) -> [AttentionHead] {
        AttentionHead.top(count, of: alphaLogits.scalars.map { -$0 }, heads: headCount)
    }
}

// Shape legend: L layers, H heads, Dh head dim, D model dim, k chosen heads, B prompts in a batch.
import Models
import Tensors

/// A function vector ready to answer zero-shot prompts.
public struct PreparedFunctionVector: PreparedMethod {
    /// The vector is added to the output of this layer.
    public let layer: Int
    public let vector: Tensor                   // (D)
    public let heads: [AttentionHead]           // k
    public let meanHeadOutputs: Tensor          // (L, H·Dh)
    /// (L, H); nil when the heads were given rather than chosen by effect.
    public let causalIndirectEffects: Tensor?
    public let preparation: PreparationCost

    public var shots: Int { 0 }

    /// `.add` of the vector at `.residual(layer:)` at the last token of every prompt.
    public func interventions(batchSize: Int) -> [Intervention] {
        let d = vector.count
        var rows = [Float](repeating: 0, count: batchSize * d)   // (B, D)
        for b in 0..<batchSize { rows.replaceSubrange((b * d)..<((b + 1) * d), with: vector.scalars) }
        return [Intervention(.residual(layer: layer), .add(Variable(constant: Tensor(shape: [batchSize, d], scalars: rows))))]
    }

    init(layer: Int, vector: Tensor, heads: [AttentionHead], meanHeadOutputs: Tensor, causalIndirectEffects: Tensor?,
         preparation: PreparationCost) {
        self.layer = layer
        self.vector = vector
        self.heads = heads
        self.meanHeadOutputs = meanHeadOutputs
        self.causalIndirectEffects = causalIndirectEffects
        self.preparation = preparation
    }

    /// What the artifact cache stores.
    var artifact: ArtifactCache.Artifact {
        var tensors = [
            FunctionVectorTensor.meanHeadOutputs: meanHeadOutputs,
            FunctionVectorTensor.functionVector: vector,
            FunctionVectorTensor.heads: Tensor(shape: [heads.count, 2], scalars: heads.flatMap { [Float($0.layer), Float($0.head)] }),
        ]
        tensors[FunctionVectorTensor.causalIndirectEffects] = causalIndirectEffects
        return ArtifactCache.Artifact(tensors: tensors, facts: [
            "heads": heads.map(\.description).joined(separator: ","),
            "seconds": "\(preparation.seconds)", "tokens_processed": "\(preparation.tokensProcessed)",
        ])
    }

    /// A stored artifact, added after `layer`, when its tensors fit a model of configuration `c`;
    /// nil otherwise (it is then prepared again and overwritten).
    init?(artifact: ArtifactCache.Artifact, configuration c: DecoderConfiguration, layer: Int, fromCache seconds: Double) {
        let t = artifact.tensors
        guard let means = t[FunctionVectorTensor.meanHeadOutputs], means.shape == [c.layerCount, c.attentionWidth],
              let vector = t[FunctionVectorTensor.functionVector], vector.shape == [c.hiddenSize],
              let headTable = t[FunctionVectorTensor.heads], headTable.rank == 2, headTable.shape[1] == 2
        else { return nil }
        let heads = (0..<headTable.shape[0]).map {
            AttentionHead(layer: Int(headTable.scalars[2 * $0]), head: Int(headTable.scalars[2 * $0 + 1]))
        }
        let effects = t[FunctionVectorTensor.causalIndirectEffects]
        guard heads.allSatisfy({ (0..<c.layerCount).contains($0.layer) && (0..<c.attentionHeads).contains($0.head) }),
              effects == nil || effects!.shape == [c.layerCount, c.attentionHeads]
        else { return nil }
        self.init(layer: layer, vector: vector, heads: heads, meanHeadOutputs: means, causalIndirectEffects: effects,
                  preparation: PreparationCost(seconds: seconds, tokensProcessed: 0, fromCache: true))
    }
}

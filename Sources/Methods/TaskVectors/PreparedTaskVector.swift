// Shape legend: L layers, D model dim, B prompts in a batch.
import Models
import Tensors

/// A task vector ready to answer zero-shot prompts.
public struct PreparedTaskVector: PreparedMethod {
    /// The layer whose output is replaced.
    public let layer: Int
    /// Per layer, the mean residual stream after it at the last token of k-shot prompts.
    public let means: Tensor          // (L, D)
    /// Per layer, first-token accuracy on the valid items when patching that layer; NaN for
    /// every layer when the layer was fixed.
    public let validAccuracy: Tensor  // (L)
    public let preparation: PreparationCost

    public var shots: Int { 0 }

    /// The task vector: the mean after the chosen layer, (D).
    public var vector: Tensor {
        let d = means.shape[1]
        return Tensor(shape: [d], scalars: Array(means.scalars[(layer * d)..<((layer + 1) * d)]))
    }

    /// `.replace` at `.residual(layer:)` at the last token of every prompt.
    public func interventions(batchSize: Int) -> [Intervention] {
        let vector = vector.scalars
        var rows = [Float]()   // (B, D)
        rows.reserveCapacity(batchSize * vector.count)
        for _ in 0..<batchSize { rows.append(contentsOf: vector) }
        return [Intervention(.residual(layer: layer), .replace(Variable(constant: Tensor(shape: [batchSize, vector.count], scalars: rows))))]
    }

    init(layer: Int, means: Tensor, validAccuracy: Tensor, preparation: PreparationCost) {
        self.layer = layer
        self.means = means
        self.validAccuracy = validAccuracy
        self.preparation = preparation
    }

    var artifact: ArtifactCache.Artifact {
        ArtifactCache.Artifact(
            tensors: ["residual_means": means, "valid_accuracy": validAccuracy],
            facts: ["layer": "\(layer)", "seconds": "\(preparation.seconds)", "tokens_processed": "\(preparation.tokensProcessed)"])
    }

    /// A stored artifact, for a model of configuration `c`.
    /// - Throws: `MethodError.artifactShape` or `.corruptArtifact` when it does not fit the model.
    init(artifact: ArtifactCache.Artifact, configuration c: DecoderConfiguration, method: MethodName, fromCache seconds: Double) throws {
        let means = try artifact.tensor("residual_means", shape: [c.layerCount, c.hiddenSize], method: method)
        let accuracy = try artifact.tensor("valid_accuracy", shape: [c.layerCount], method: method)
        let layer = try artifact.fact("layer", method: method) { Int($0).flatMap { (0..<c.layerCount).contains($0) ? $0 : nil } }
        self.init(layer: layer, means: means, validAccuracy: accuracy,
                  preparation: PreparationCost(seconds: seconds, tokensProcessed: 0, fromCache: true))
    }
}

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
    /// Wall seconds of the phases of preparation ("means", "cie"); empty when loaded.
    var phaseSeconds: [String: Double] = [:]

    public var shots: Int { 0 }

    /// `.add` of the vector at `.residual(layer:)` at the last token of every prompt.
    public func interventions(batchSize: Int) -> [Intervention] {
        let d = vector.count
        var rows = [Float](repeating: 0, count: batchSize * d)   // (B, D)
        for b in 0..<batchSize { rows.replaceSubrange((b * d)..<((b + 1) * d), with: vector.scalars) }
        return [Intervention(.residual(layer: layer), .add(Variable(constant: Tensor(shape: [batchSize, d], scalars: rows))))]
    }

    init(layer: Int, vector: Tensor, heads: [AttentionHead], meanHeadOutputs: Tensor, causalIndirectEffects: Tensor?,
         preparation: PreparationCost, phaseSeconds: [String: Double] = [:]) {
        self.phaseSeconds = phaseSeconds
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
            "phase_seconds": phaseSeconds.keys.sorted().map { "\($0):\(String(format: "%.1f", phaseSeconds[$0]!))" }.joined(separator: " "),
        ])
    }

    /// A stored artifact, added after `layer`, for the backend's model. The vector is rebuilt from the stored
    /// means and heads (the stored copy is for readers of the file), so an artifact written before
    /// a change to how heads enter the residual stream still gives the right vector.
    /// - Throws: `MethodError.artifactShape` or `.corruptArtifact` when its tensors do not fit the model.
    init(artifact: ArtifactCache.Artifact, backend: any ModelBackend, layer: Int, method: MethodName, fromCache seconds: Double) throws {
        let t = artifact.tensors, c = backend.shape
        let means = try artifact.tensor(FunctionVectorTensor.meanHeadOutputs, shape: [c.layers, c.attentionWidth], method: method)
        _ = try artifact.tensor(FunctionVectorTensor.functionVector, shape: [c.hiddenSize], method: method)
        guard let headTable = t[FunctionVectorTensor.heads], headTable.rank == 2, headTable.shape[1] == 2 else {
            throw MethodError.artifactShape(method: method, path: artifact.path, tensor: FunctionVectorTensor.heads,
                                            expected: [-1, 2], found: t[FunctionVectorTensor.heads]?.shape)
        }
        // Checked as floats first: Int(_:) traps on NaN and on values beyond Int.
        let limits = [Float(c.layers), Float(c.attentionHeads)]
        guard headTable.scalars.enumerated().allSatisfy({ $1 >= 0 && $1 < limits[$0 % 2] && $1.rounded() == $1 }) else {
            throw MethodError.corruptArtifact(method: method, path: artifact.path,
                                              reason: "head table \(headTable.scalars.prefix(8)) outside \(c.layers) layers × \(c.attentionHeads) heads")
        }
        let heads = (0..<headTable.shape[0]).map {
            AttentionHead(layer: Int(headTable.scalars[2 * $0]), head: Int(headTable.scalars[2 * $0 + 1]))
        }
        let effects = try t[FunctionVectorTensor.causalIndirectEffects].map { _ in
            try artifact.tensor(FunctionVectorTensor.causalIndirectEffects, shape: [c.layers, c.attentionHeads], method: method)
        }
        let vector = FunctionVectorMethod.functionVector(heads: heads, projected: try backend.projectHeads(means))
        self.init(layer: layer, vector: vector, heads: heads, meanHeadOutputs: means, causalIndirectEffects: effects,
                  preparation: PreparationCost(seconds: seconds, tokensProcessed: 0, fromCache: true))
    }
}

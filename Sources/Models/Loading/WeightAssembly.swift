// Shape legend: D model dim, F FFN dim, E experts.
import Tensors

/// Builds a decoder from every tensor the configuration calls for in `source`, named by `names`.
/// A checkpoint without an output projection ties it to the embedding.
func assembleDecoder(
    from source: WeightSource, names: TensorNameMap, configuration c: DecoderConfiguration
) throws -> Decoder {
    let embedding = try source.requiredMatrix(names.tokenEmbedding)
    var layers = [DecoderLayerWeights]()
    for i in 0..<c.layerCount {
        let n = names.layer(i)
        let feedForward: FeedForwardWeights
        if let moe = c.mixtureOfExperts {
            guard let routerName = n.router else {
                throw ModelLoadError.invalidConfiguration("this format names no router for a mixture of experts")
            }
            feedForward = .mixture(
                router: try source.requiredMatrix(routerName),
                experts: try expertWeights(source, n, count: moe.expertCount, configuration: c))
        } else {
            feedForward = .dense(GatedMLPWeights(
                gate: try source.requiredMatrix(n.gate), up: try source.requiredMatrix(n.up),
                down: try source.requiredMatrix(n.down)))
        }
        func optional(_ name: String?, when needed: Bool) throws -> Tensor? {
            guard needed, let name else { return nil }
            return try source.requiredTensor(name)
        }
        layers.append(DecoderLayerWeights(
            attentionNorm: try source.requiredTensor(n.attentionNorm),
            queryProjection: try source.requiredMatrix(n.query),
            keyProjection: try source.requiredMatrix(n.key),
            valueProjection: try source.requiredMatrix(n.value),
            outputProjection: try source.requiredMatrix(n.output),
            queryNorm: try optional(n.queryNorm, when: c.queryKeyNorm),
            keyNorm: try optional(n.keyNorm, when: c.queryKeyNorm),
            postAttentionNorm: try optional(n.postAttentionNorm, when: c.sandwichNorms),
            feedForwardNorm: try source.requiredTensor(n.feedForwardNorm),
            postFeedForwardNorm: try optional(n.postFeedForwardNorm, when: c.sandwichNorms),
            feedForward: feedForward))
    }
    let output = c.tiedEmbeddings ? nil : try source.optionalMatrix(names.outputProjection)
    var configuration = c
    if output == nil { configuration.tiedEmbeddings = true }  // checkpoints that omit the head tie it
    let weights = DecoderWeights(
        tokenEmbedding: embedding, layers: layers, finalNorm: try source.requiredTensor(names.finalNorm),
        outputProjection: output)
    return try Decoder(configuration: configuration, weights: weights)
}

/// Experts stored one tensor each (Hugging Face) or stacked (E, F, D) in one tensor (GGUF).
private func expertWeights(
    _ source: WeightSource, _ n: LayerTensorNames, count: Int, configuration c: DecoderConfiguration
) throws -> [GatedMLPWeights] {
    guard let gateName = n.expertGate, let upName = n.expertUp, let downName = n.expertDown else {
        throw ModelLoadError.invalidConfiguration("this format names no expert tensors")
    }
    if gateName(0) == gateName(1) {
        let gates = try source.requiredTensor(gateName(0)), ups = try source.requiredTensor(upName(0))
        let downs = try source.requiredTensor(downName(0))
        func slice(_ t: Tensor, _ e: Int, _ rows: Int, _ columns: Int, _ name: String) throws -> WeightMatrix {
            guard t.count == count * rows * columns else {
                throw ModelLoadError.shapeMismatch(tensor: name, expected: [count, rows, columns], found: t.shape)
            }
            let size = rows * columns
            return WeightMatrix(Tensor(shape: [rows, columns], scalars: Array(t.scalars[(e * size)..<((e + 1) * size)])))
        }
        return try (0..<count).map { e in
            GatedMLPWeights(
                gate: try slice(gates, e, c.intermediateSize, c.hiddenSize, gateName(0)),
                up: try slice(ups, e, c.intermediateSize, c.hiddenSize, upName(0)),
                down: try slice(downs, e, c.hiddenSize, c.intermediateSize, downName(0)))
        }
    }
    return try (0..<count).map { e in
        GatedMLPWeights(gate: try source.requiredMatrix(gateName(e)), up: try source.requiredMatrix(upName(e)),
                        down: try source.requiredMatrix(downName(e)))
    }
}

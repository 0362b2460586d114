// Shape legend: D model dim, F FFN dim, V vocab, E experts.
import Tensors

extension GatedMLPWeights {
    /// The same weights re-encoded in `type`.
    public func converted(to type: WeightStorageType) -> GatedMLPWeights {
        GatedMLPWeights(gate: gate.converted(to: type), up: up.converted(to: type), down: down.converted(to: type))
    }
}

extension DecoderWeights {
    /// Every linear weight and the embedding re-encoded in `type` (norm vectors stay Float32).
    /// Narrowing GGUF weights dequantised to Float32 to Float16 halves what decode reads per token,
    /// at the price of rounding (parity with the references is only exact in Float32).
    public func converted(to type: WeightStorageType) -> DecoderWeights {
        var copy = self
        copy.tokenEmbedding = tokenEmbedding.converted(to: type)
        copy.outputProjection = outputProjection?.converted(to: type)
        for l in copy.layers.indices {
            copy.layers[l].queryProjection = layers[l].queryProjection.converted(to: type)
            copy.layers[l].keyProjection = layers[l].keyProjection.converted(to: type)
            copy.layers[l].valueProjection = layers[l].valueProjection.converted(to: type)
            copy.layers[l].outputProjection = layers[l].outputProjection.converted(to: type)
            switch layers[l].feedForward {
            case .dense(let m):
                copy.layers[l].feedForward = .dense(m.converted(to: type))
            case .mixture(let router, let experts):
                copy.layers[l].feedForward = .mixture(router: router.converted(to: type), experts: experts.map { $0.converted(to: type) })
            }
        }
        return copy
    }
}

extension Decoder {
    /// The same model with its linear weights and embedding stored as `type`.
    public func converted(to type: WeightStorageType) throws -> Decoder {
        try Decoder(configuration: configuration, weights: weights.converted(to: type))
    }
}

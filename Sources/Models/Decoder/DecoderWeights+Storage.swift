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

extension DecoderWeights {
    /// The same weights with a packed bfloat16 copy of every linear weight and of the logit
    /// projection (the embedding when tied), so their forward products run in bfloat16 with
    /// float32 sums; the stored elements stay for lookups and the backward.
    func withBFloat16Panels() -> DecoderWeights { mappingProducts { $0.withBFloat16Panels() } }

    /// The same weights with every block-stored product weight (and the logit projection) taking
    /// int8 activations in decode-sized products (`WeightMatrix.withInt8Activations()`).
    func withInt8Activations() -> DecoderWeights { mappingProducts { $0.withInt8Activations() } }

    /// `transform` applied to every matrix a forward product multiplies by: the linear weights and
    /// the logit projection (the embedding when tied, whose lookups read the stored elements).
    func mappingProducts(_ transform: (WeightMatrix) -> WeightMatrix) -> DecoderWeights {
        var copy = self
        if let output = outputProjection {
            copy.outputProjection = transform(output)
        } else {
            copy.tokenEmbedding = transform(tokenEmbedding)
        }
        for l in copy.layers.indices {
            copy.layers[l].queryProjection = transform(layers[l].queryProjection)
            copy.layers[l].keyProjection = transform(layers[l].keyProjection)
            copy.layers[l].valueProjection = transform(layers[l].valueProjection)
            copy.layers[l].outputProjection = transform(layers[l].outputProjection)
            switch layers[l].feedForward {
            case .dense(let m):
                copy.layers[l].feedForward = .dense(m.mapping(transform))
            case .mixture(let router, let experts):
                copy.layers[l].feedForward = .mixture(router: transform(router), experts: experts.map { $0.mapping(transform) })
            }
        }
        return copy
    }
}

extension GatedMLPWeights {
    func mapping(_ transform: (WeightMatrix) -> WeightMatrix) -> GatedMLPWeights {
        GatedMLPWeights(gate: transform(gate), up: transform(up), down: transform(down))
    }
}

extension Decoder {
    /// The precision of the forward weight products (`computing(in:)`); read from the first layer's
    /// query projection, since `computing(in:)` converts every product.
    public var computePrecision: ComputePrecision {
        guard let query = weights.layers.first?.queryProjection else { return .float32 }
        return query.computesInBFloat16 ? .bfloat16 : (query.computesWithInt8Activations ? .int8 : .float32)
    }

    /// The same model computing its forward weight products in `precision` (attention, norms and
    /// the backward stay float32).
    /// - Throws: `ModelLoadError.computeUnsupported` when this CPU cannot run `precision`.
    public func computing(in precision: ComputePrecision) throws -> Decoder {
        switch precision {
        case .float32:
            return self
        case .bfloat16:
            return try Decoder(configuration: configuration, weights: weights.withBFloat16Panels())
        case .int8:
            guard precision.isSupported else { throw ModelLoadError.computeUnsupported(precision: precision.rawValue, needs: "AVX512_VNNI") }
            return try Decoder(configuration: configuration, weights: weights.withInt8Activations())
        }
    }

    /// The same model with its linear weights and embedding stored as `type`.
    public func converted(to type: WeightStorageType) throws -> Decoder {
        try Decoder(configuration: configuration, weights: weights.converted(to: type))
    }
}

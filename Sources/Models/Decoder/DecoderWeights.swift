// Shape legend: D model dim, H heads, Hkv KV heads, Dh head dim, F FFN dim, V vocab, E experts.
// Linear weights are stored as PyTorch's Linear does: (outputs, inputs).
import Tensors

/// A gated MLP: down(act(gate x) ⊙ up x).
public struct GatedMLPWeights: Sendable {
    public var gate: WeightMatrix  // (F, D)
    public var up: WeightMatrix    // (F, D)
    public var down: WeightMatrix  // (D, F)
    public init(gate: WeightMatrix, up: WeightMatrix, down: WeightMatrix) {
        self.gate = gate
        self.up = up
        self.down = down
    }
}

/// The feed-forward block of a layer.
public enum FeedForwardWeights: Sendable {
    case dense(GatedMLPWeights)
    /// Router (E, D) and E experts.
    case mixture(router: WeightMatrix, experts: [GatedMLPWeights])
}

/// One decoder layer's parameters.
public struct DecoderLayerWeights: Sendable {
    public var attentionNorm: Tensor        // (D)
    public var queryProjection: WeightMatrix   // (H·Dh, D)
    public var keyProjection: WeightMatrix     // (Hkv·Dh, D)
    public var valueProjection: WeightMatrix   // (Hkv·Dh, D)
    public var outputProjection: WeightMatrix  // (D, H·Dh)
    public var queryNorm: Tensor?           // (Dh)
    public var keyNorm: Tensor?             // (Dh)
    public var postAttentionNorm: Tensor?   // (D)
    public var feedForwardNorm: Tensor      // (D)
    public var postFeedForwardNorm: Tensor? // (D)
    public var feedForward: FeedForwardWeights

    public init(
        attentionNorm: Tensor, queryProjection: WeightMatrix, keyProjection: WeightMatrix,
        valueProjection: WeightMatrix, outputProjection: WeightMatrix, queryNorm: Tensor? = nil, keyNorm: Tensor? = nil,
        postAttentionNorm: Tensor? = nil, feedForwardNorm: Tensor, postFeedForwardNorm: Tensor? = nil,
        feedForward: FeedForwardWeights
    ) {
        self.attentionNorm = attentionNorm
        self.queryProjection = queryProjection
        self.keyProjection = keyProjection
        self.valueProjection = valueProjection
        self.outputProjection = outputProjection
        self.queryNorm = queryNorm
        self.keyNorm = keyNorm
        self.postAttentionNorm = postAttentionNorm
        self.feedForwardNorm = feedForwardNorm
        self.postFeedForwardNorm = postFeedForwardNorm
        self.feedForward = feedForward
    }
}

/// All parameters of a decoder.
public struct DecoderWeights: Sendable {
    public var tokenEmbedding: WeightMatrix  // (V, D)
    public var layers: [DecoderLayerWeights]  // L
    public var finalNorm: Tensor        // (D)
    /// (V, D); nil when tied to `tokenEmbedding`.
    public var outputProjection: WeightMatrix?

    public init(tokenEmbedding: WeightMatrix, layers: [DecoderLayerWeights], finalNorm: Tensor, outputProjection: WeightMatrix?) {
        self.tokenEmbedding = tokenEmbedding
        self.layers = layers
        self.finalNorm = finalNorm
        self.outputProjection = outputProjection
    }

    /// Bytes of every linear weight and the embedding, in their stored widths.
    public var matrixByteCount: Int {
        var total = tokenEmbedding.byteCount + (outputProjection?.byteCount ?? 0)
        for l in layers {
            total += l.queryProjection.byteCount + l.keyProjection.byteCount + l.valueProjection.byteCount
                + l.outputProjection.byteCount
            switch l.feedForward {
            case .dense(let m): total += m.gate.byteCount + m.up.byteCount + m.down.byteCount
            case .mixture(let router, let experts):
                total += router.byteCount + experts.reduce(0) { $0 + $1.gate.byteCount + $1.up.byteCount + $1.down.byteCount }
            }
        }
        return total
    }

    /// Checks every tensor's shape against `configuration`.
    public func validate(against c: DecoderConfiguration) throws {
        func expect(_ t: Tensor?, _ shape: [Int], _ name: String) throws {
            guard let t else { return }
            if t.shape != shape { throw ModelLoadError.shapeMismatch(tensor: name, expected: shape, found: t.shape) }
        }
        func expect(_ m: WeightMatrix?, _ shape: [Int], _ name: String) throws {
            guard let m else { return }
            if m.shape != shape { throw ModelLoadError.shapeMismatch(tensor: name, expected: shape, found: m.shape) }
        }
        try expect(tokenEmbedding, [c.vocabularySize, c.hiddenSize], "token embedding")
        try expect(finalNorm, [c.hiddenSize], "final norm")
        try expect(outputProjection, [c.vocabularySize, c.hiddenSize], "output projection")
        if outputProjection == nil && !c.tiedEmbeddings {
            throw ModelLoadError.missingTensor(name: "output projection (embeddings are not tied)", file: "")
        }
        if layers.count != c.layerCount {
            throw ModelLoadError.invalidConfiguration("\(layers.count) layers of weights for \(c.layerCount) layers")
        }
        for (i, l) in layers.enumerated() {
            let p = "layer \(i) "
            try expect(l.attentionNorm, [c.hiddenSize], p + "attention norm")
            try expect(l.queryProjection, [c.attentionWidth, c.hiddenSize], p + "query projection")
            try expect(l.keyProjection, [c.keyValueWidth, c.hiddenSize], p + "key projection")
            try expect(l.valueProjection, [c.keyValueWidth, c.hiddenSize], p + "value projection")
            try expect(l.outputProjection, [c.hiddenSize, c.attentionWidth], p + "output projection")
            try expect(l.queryNorm, [c.headDimensions], p + "query norm")
            try expect(l.keyNorm, [c.headDimensions], p + "key norm")
            try expect(l.postAttentionNorm, [c.hiddenSize], p + "post-attention norm")
            try expect(l.feedForwardNorm, [c.hiddenSize], p + "feed-forward norm")
            try expect(l.postFeedForwardNorm, [c.hiddenSize], p + "post-feed-forward norm")
            if c.queryKeyNorm && (l.queryNorm == nil || l.keyNorm == nil) {
                throw ModelLoadError.missingTensor(name: p + "query/key norm", file: "")
            }
            if c.sandwichNorms && (l.postAttentionNorm == nil || l.postFeedForwardNorm == nil) {
                throw ModelLoadError.missingTensor(name: p + "post-attention/post-feed-forward norm", file: "")
            }
            let mlps: [GatedMLPWeights]
            switch l.feedForward {
            case .dense(let m): mlps = [m]
            case .mixture(let router, let experts):
                try expect(router, [c.mixtureOfExperts?.expertCount ?? experts.count, c.hiddenSize], p + "router")
                mlps = experts
            }
            for (e, m) in mlps.enumerated() {
                try expect(m.gate, [c.intermediateSize, c.hiddenSize], p + "expert \(e) gate")
                try expect(m.up, [c.intermediateSize, c.hiddenSize], p + "expert \(e) up")
                try expect(m.down, [c.hiddenSize, c.intermediateSize], p + "expert \(e) down")
            }
        }
    }
}

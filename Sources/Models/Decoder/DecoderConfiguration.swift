// Shape legend: B batch, T tokens, D model dim, H heads, Hkv KV heads, Dh head dim, F FFN dim,
// V vocab, L layers, E experts.
import Tensors

/// Everything the one decoder needs to know about a model. Every family's configuration maps to
/// this; family differences are fields here, never checks of a model's name.
public struct DecoderConfiguration: Sendable, Equatable {
    /// The MLP's gate activation.
    public enum Activation: String, Sendable, Codable {
        /// SwiGLU (Llama, Qwen, Mistral, Mixtral).
        case silu
        /// GeGLU with the tanh approximation (Gemma).
        case geluTanh
    }

    /// Sparse mixture of experts replacing the dense MLP (Mixtral).
    public struct MixtureOfExperts: Sendable, Equatable {
        /// E.
        public var expertCount: Int
        /// Experts each token is routed to; their router probabilities are renormalised to sum to 1.
        public var expertsPerToken: Int
        public init(expertCount: Int, expertsPerToken: Int) {
            self.expertCount = expertCount
            self.expertsPerToken = expertsPerToken
        }
    }

    /// V.
    public var vocabularySize: Int
    /// D.
    public var hiddenSize: Int
    /// F.
    public var intermediateSize: Int
    /// L.
    public var layerCount: Int
    /// H.
    public var attentionHeads: Int
    /// Hkv.
    public var keyValueHeads: Int
    /// Dh; H·Dh need not equal D (Gemma 3, Qwen3).
    public var headDimensions: Int
    public var normEpsilon: Float
    /// Added to every RMSNorm weight: 1 where the checkpoint stores Gemma's weights as w − 1
    /// (Hugging Face), 0 where they are stored whole (llama.cpp's Gemma converter adds the 1).
    public var normWeightOffset: Float
    /// Multiplies the token embedding (sqrt(D) for Gemma, 1 otherwise).
    public var embeddingScale: Float
    public var activation: Activation
    /// RMSNorm of each query and key head before RoPE (Qwen3, Gemma 3).
    public var queryKeyNorm: Bool
    /// Norms after attention and after the MLP, before the residual add (Gemma 2 and 3).
    public var sandwichNorms: Bool
    /// Multiplies q·k.
    public var attentionScale: Float
    /// RoPE of full-attention layers.
    public var rotary: RotaryEmbedding
    /// RoPE of sliding-window layers, when it differs (Gemma 3 uses another base there).
    public var slidingRotary: RotaryEmbedding?
    /// The window of sliding-window layers.
    public var slidingWindow: Int?
    /// Per layer: true when the layer attends within `slidingWindow` only. Count L.
    public var slidingLayers: [Bool]
    /// The output projection is the token embedding.
    public var tiedEmbeddings: Bool
    public var mixtureOfExperts: MixtureOfExperts?

    public init(
        vocabularySize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int,
        attentionHeads: Int, keyValueHeads: Int, headDimensions: Int, normEpsilon: Float,
        normWeightOffset: Float = 0, embeddingScale: Float = 1, activation: Activation = .silu,
        queryKeyNorm: Bool = false, sandwichNorms: Bool = false, attentionScale: Float? = nil,
        rotary: RotaryEmbedding, slidingRotary: RotaryEmbedding? = nil, slidingWindow: Int? = nil,
        slidingLayers: [Bool]? = nil, tiedEmbeddings: Bool, mixtureOfExperts: MixtureOfExperts? = nil
    ) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.attentionHeads = attentionHeads
        self.keyValueHeads = keyValueHeads
        self.headDimensions = headDimensions
        self.normEpsilon = normEpsilon
        self.normWeightOffset = normWeightOffset
        self.embeddingScale = embeddingScale
        self.activation = activation
        self.queryKeyNorm = queryKeyNorm
        self.sandwichNorms = sandwichNorms
        self.attentionScale = attentionScale ?? 1 / Float(headDimensions).squareRoot()
        self.rotary = rotary
        self.slidingRotary = slidingRotary
        self.slidingWindow = slidingWindow
        self.slidingLayers = slidingLayers ?? [Bool](repeating: slidingWindow != nil, count: layerCount)
        self.tiedEmbeddings = tiedEmbeddings
        self.mixtureOfExperts = mixtureOfExperts
    }

    /// H·Dh: the width of the heads' concatenation, the input of the attention output projection.
    public var attentionWidth: Int { attentionHeads * headDimensions }
    /// Hkv·Dh.
    public var keyValueWidth: Int { keyValueHeads * headDimensions }

    /// Checks the invariants the decoder relies on.
    public func validate() throws {
        func fail(_ why: String) -> ModelLoadError { .invalidConfiguration(why) }
        if [vocabularySize, hiddenSize, intermediateSize, layerCount, attentionHeads, keyValueHeads, headDimensions]
            .contains(where: { $0 <= 0 }) {
            throw fail("every size must be positive (vocab \(vocabularySize), hidden \(hiddenSize), ffn \(intermediateSize), layers \(layerCount), heads \(attentionHeads)/\(keyValueHeads), head_dim \(headDimensions))")
        }
        if attentionHeads % keyValueHeads != 0 {
            throw fail("\(attentionHeads) attention heads are not a multiple of \(keyValueHeads) key/value heads")
        }
        if headDimensions % 2 != 0 { throw fail("head dimension \(headDimensions) is odd; RoPE needs pairs") }
        if slidingLayers.count != layerCount {
            throw fail("\(slidingLayers.count) sliding-layer flags for \(layerCount) layers")
        }
        if slidingLayers.contains(true) && (slidingWindow ?? 0) <= 0 {
            throw fail("sliding-window layers need a positive sliding_window")
        }
        if let moe = mixtureOfExperts, moe.expertsPerToken < 1 || moe.expertsPerToken > moe.expertCount {
            throw fail("\(moe.expertsPerToken) experts per token out of \(moe.expertCount)")
        }
    }

    /// Attention geometry of `layer`.
    public func attentionGeometry(layer: Int) -> AttentionGeometry {
        AttentionGeometry(heads: attentionHeads, keyValueHeads: keyValueHeads, headDimensions: headDimensions,
                          scale: attentionScale, window: slidingLayers[layer] ? slidingWindow : nil)
    }

    /// RoPE of `layer`.
    public func rotary(layer: Int) -> RotaryEmbedding {
        slidingLayers[layer] ? (slidingRotary ?? rotary) : rotary
    }
}

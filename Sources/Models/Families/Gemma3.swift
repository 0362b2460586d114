// Gemma 3 (text): embedding scaled by sqrt(D), RMSNorm with (1 + w), per-head query/key norms,
// norms after attention and after the MLP, GeGLU, sliding-window layers with their own RoPE base,
// query_pre_attn_scalar, and H·Dh ≠ D.
import Foundation
import ModelFormats
import Tensors

/// config.json of the gemma3_text model type (also read from `text_config` of gemma3).
public struct Gemma3Configuration: Decodable, Sendable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var attentionHeads: Int
    public var keyValueHeads: Int
    public var headDimensions: Int
    public var normEpsilon: Double
    /// Attention scores are scaled by query_pre_attn_scalar^(−1/2).
    public var queryPreAttentionScalar: Double
    public var slidingWindow: Int
    /// "sliding_attention" or "full_attention" per layer; older configs give a pattern instead.
    public var layerTypes: [String]?
    /// Every n-th layer is global (older configs; 6 in released models).
    public var slidingWindowPattern: Int?
    var legacySlidingWindowPattern: Int?
    var ropeTheta: Double?
    var ropeLocalBaseFrequency: Double?
    var ropeScaling: RopeParameters?
    var ropeParameters: RopeParametersField?
    /// Defaults to true.
    public var tiedEmbeddings: Bool?
    /// Must be null: soft-capping is not implemented (Gemma 3 has none).
    public var finalLogitSoftcapping: Double?
    public var attentionLogitSoftcapping: Double?

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers", attentionHeads = "num_attention_heads"
        case keyValueHeads = "num_key_value_heads", headDimensions = "head_dim", normEpsilon = "rms_norm_eps"
        case queryPreAttentionScalar = "query_pre_attn_scalar", slidingWindow = "sliding_window"
        case layerTypes = "layer_types", slidingWindowPattern = "sliding_window_pattern"
        case legacySlidingWindowPattern = "_sliding_window_pattern"
        case ropeTheta = "rope_theta", ropeLocalBaseFrequency = "rope_local_base_freq", ropeScaling = "rope_scaling"
        case ropeParameters = "rope_parameters", tiedEmbeddings = "tie_word_embeddings"
        case finalLogitSoftcapping = "final_logit_softcapping", attentionLogitSoftcapping = "attn_logit_softcapping"
    }

    /// Sliding flags per layer: from `layer_types`, else every `pattern`-th layer is global.
    func slidingLayers() throws -> [Bool] {
        if let types = layerTypes {
            guard types.count == layerCount else {
                throw ModelLoadError.invalidConfiguration("layer_types lists \(types.count) layers for \(layerCount)")
            }
            return types.map { $0 == "sliding_attention" }
        }
        let pattern = slidingWindowPattern ?? legacySlidingWindowPattern ?? 6
        return Gemma3Family.slidingLayers(count: layerCount, pattern: pattern)
    }
}

enum Gemma3Family: ModelFamily {
    static let ggufArchitectures = ["gemma3"]
    static let huggingFaceModelTypes = ["gemma3_text", "gemma3"]

    /// Layer i is global when (i + 1) is a multiple of `pattern`, as in Gemma 3's reference code.
    static func slidingLayers(count: Int, pattern: Int) -> [Bool] {
        (0..<count).map { pattern <= 0 || ($0 + 1) % pattern != 0 }
    }

    static let huggingFaceTensorNames: TensorNameMap = {
        var names = TensorNameMap.huggingFace
        let base = names.layer
        names.layer = { i in
            var n = base(i)
            let p = "model.layers.\(i)."
            n.postAttentionNorm = p + "post_attention_layernorm.weight"
            n.feedForwardNorm = p + "pre_feedforward_layernorm.weight"
            n.postFeedForwardNorm = p + "post_feedforward_layernorm.weight"
            return n
        }
        return names
    }()

    static func configuration(huggingFaceConfig data: Data) throws -> DecoderConfiguration {
        let config = try decodeHuggingFaceConfig(Gemma3Configuration.self, from: data)
        if config.finalLogitSoftcapping != nil || config.attentionLogitSoftcapping != nil {
            throw ModelLoadError.invalidConfiguration("logit soft-capping is not supported (Gemma 3 configs set it to null)")
        }
        let dh = config.headDimensions
        let global = config.ropeParameters?.parameters(layerType: "full_attention")
            ?? config.ropeScaling?.withTheta(config.ropeTheta ?? 1_000_000) ?? RopeParameters(theta: config.ropeTheta ?? 1_000_000)
        let local = config.ropeParameters?.parameters(layerType: "sliding_attention")
            ?? RopeParameters(theta: config.ropeLocalBaseFrequency ?? 10_000)
        return DecoderConfiguration(
            vocabularySize: config.vocabularySize, hiddenSize: config.hiddenSize,
            intermediateSize: config.intermediateSize, layerCount: config.layerCount,
            attentionHeads: config.attentionHeads, keyValueHeads: config.keyValueHeads, headDimensions: dh,
            normEpsilon: Float(config.normEpsilon), normWeightOffset: 1,
            embeddingScale: Float(config.hiddenSize).squareRoot(), activation: .geluTanh,
            queryKeyNorm: true, sandwichNorms: true,
            attentionScale: 1 / Float(config.queryPreAttentionScalar).squareRoot(),
            rotary: RotaryEmbedding(headDimensions: dh, inverseFrequencies: try global.inverseFrequencies(headDimensions: dh), pairing: .halves),
            slidingRotary: RotaryEmbedding(headDimensions: dh, inverseFrequencies: try local.inverseFrequencies(headDimensions: dh), pairing: .halves),
            slidingWindow: config.slidingWindow, slidingLayers: try config.slidingLayers(),
            tiedEmbeddings: config.tiedEmbeddings ?? true)
    }

    /// llama.cpp's Gemma 3 files store norm weights with the 1 already added, keep the weights
    /// unpermuted (RoPE over halves), and leave out what its code fixes for the family: the
    /// sliding pattern (every 6th layer global), the local RoPE base (10,000) and the query
    /// scale (head_dim^(−1/2)).
    static func configuration(gguf file: GGUFFile) throws -> DecoderConfiguration {
        let h = try GGUFHyperparameters(file)
        let d = try h.int("embedding_length"), heads = try h.int("attention.head_count")
        let dh = try h.optionalInt("attention.key_length") ?? 256
        let layers = try h.int("block_count")
        return DecoderConfiguration(
            vocabularySize: try h.vocabularySize(), hiddenSize: d, intermediateSize: try h.int("feed_forward_length"),
            layerCount: layers, attentionHeads: heads,
            keyValueHeads: try h.optionalInt("attention.head_count_kv") ?? heads, headDimensions: dh,
            normEpsilon: try h.float("attention.layer_norm_rms_epsilon"), normWeightOffset: 0,
            embeddingScale: Float(d).squareRoot(), activation: .geluTanh, queryKeyNorm: true, sandwichNorms: true,
            attentionScale: 1 / Float(dh).squareRoot(),
            rotary: RotaryEmbedding(
                headDimensions: dh,
                inverseFrequencies: try h.inverseFrequencies(headDimensions: dh, base: try h.optionalFloat("rope.freq_base") ?? 1_000_000),
                pairing: .halves),
            slidingRotary: RotaryEmbedding(
                headDimensions: dh, inverseFrequencies: RotaryEmbedding.defaultFrequencies(headDimensions: dh, base: 10_000),
                pairing: .halves),
            slidingWindow: try h.optionalInt("attention.sliding_window") ?? 512,
            slidingLayers: slidingLayers(count: layers, pattern: 6),
            tiedEmbeddings: !file.hasTensor(named: "output.weight"))
    }
}

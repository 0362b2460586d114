// Qwen3: per-head RMSNorm of queries and keys before RoPE; head_dim from the config.
import Foundation
import ModelFormats
import Tensors

/// config.json of the qwen3 model type.
public struct Qwen3Configuration: Decodable, Sendable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var attentionHeads: Int
    public var keyValueHeads: Int
    /// Qwen3 sets it explicitly (128 in the released models); H·Dh need not equal D.
    public var headDimensions: Int?
    public var normEpsilon: Double
    var ropeTheta: Double?
    var ropeScaling: RopeParameters?
    var ropeParameters: RopeParametersField?
    /// Defaults to false (true in the small models).
    public var tiedEmbeddings: Bool?
    /// Sliding-window attention is used only when `use_sliding_window` is true.
    public var useSlidingWindow: Bool?
    public var slidingWindow: Int?

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers", attentionHeads = "num_attention_heads"
        case keyValueHeads = "num_key_value_heads", headDimensions = "head_dim", normEpsilon = "rms_norm_eps"
        case ropeTheta = "rope_theta", ropeScaling = "rope_scaling", ropeParameters = "rope_parameters"
        case tiedEmbeddings = "tie_word_embeddings", useSlidingWindow = "use_sliding_window"
        case slidingWindow = "sliding_window"
    }
}

enum Qwen3Family: ModelFamily {
    static let ggufArchitectures = ["qwen3"]
    static let huggingFaceModelTypes = ["qwen3"]

    static func configuration(huggingFaceConfig data: Data) throws -> DecoderConfiguration {
        let config = try decodeHuggingFaceConfig(Qwen3Configuration.self, from: data)
        let dh = config.headDimensions ?? config.hiddenSize / max(1, config.attentionHeads)
        let theta = config.ropeTheta ?? 1_000_000
        let rope = config.ropeParameters?.parameters(layerType: "full_attention")
            ?? config.ropeScaling?.withTheta(theta) ?? RopeParameters(theta: theta)
        return DecoderConfiguration(
            vocabularySize: config.vocabularySize, hiddenSize: config.hiddenSize,
            intermediateSize: config.intermediateSize, layerCount: config.layerCount,
            attentionHeads: config.attentionHeads, keyValueHeads: config.keyValueHeads, headDimensions: dh,
            normEpsilon: Float(config.normEpsilon), queryKeyNorm: true,
            rotary: RotaryEmbedding(headDimensions: dh, inverseFrequencies: try rope.inverseFrequencies(headDimensions: dh), pairing: .halves),
            slidingWindow: config.useSlidingWindow == true ? config.slidingWindow : nil,
            tiedEmbeddings: config.tiedEmbeddings ?? false)
    }

    /// llama.cpp keeps Qwen's weights unpermuted and rotates halves (its NEOX layout).
    static func configuration(gguf file: GGUFFile) throws -> DecoderConfiguration {
        let h = try GGUFHyperparameters(file)
        let d = try h.int("embedding_length"), heads = try h.int("attention.head_count")
        let dh = try h.optionalInt("attention.key_length") ?? d / max(1, heads)
        return DecoderConfiguration(
            vocabularySize: try h.vocabularySize(), hiddenSize: d, intermediateSize: try h.int("feed_forward_length"),
            layerCount: try h.int("block_count"), attentionHeads: heads,
            keyValueHeads: try h.optionalInt("attention.head_count_kv") ?? heads, headDimensions: dh,
            normEpsilon: try h.float("attention.layer_norm_rms_epsilon"), queryKeyNorm: true,
            rotary: RotaryEmbedding(
                headDimensions: dh,
                inverseFrequencies: try h.inverseFrequencies(headDimensions: dh, base: try h.optionalFloat("rope.freq_base") ?? 1_000_000),
                pairing: .halves),
            tiedEmbeddings: !file.hasTensor(named: "output.weight"))
    }
}

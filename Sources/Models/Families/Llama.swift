// Llama (incl. Llama 3.1's RoPE scaling), Mistral and Mixtral: one configuration, as
// Hugging Face and llama.cpp treat them.
import Foundation
import ModelFormats
import Tensors

/// config.json of the llama, mistral and mixtral model types.
public struct LlamaConfiguration: Decodable, Sendable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var attentionHeads: Int
    /// Defaults to `attentionHeads` (no grouped-query attention).
    public var keyValueHeads: Int?
    /// Defaults to hidden / heads.
    public var headDimensions: Int?
    public var normEpsilon: Double
    var ropeTheta: Double?
    var ropeScaling: RopeParameters?
    var ropeParameters: RopeParametersField?
    /// Defaults to false.
    public var tiedEmbeddings: Bool?
    /// Mistral v0.1's window over every layer; nil (v0.3) attends to all earlier tokens.
    public var slidingWindow: Int?
    public var expertCount: Int?
    public var expertsPerToken: Int?

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers", attentionHeads = "num_attention_heads"
        case keyValueHeads = "num_key_value_heads", headDimensions = "head_dim", normEpsilon = "rms_norm_eps"
        case ropeTheta = "rope_theta", ropeScaling = "rope_scaling", ropeParameters = "rope_parameters"
        case tiedEmbeddings = "tie_word_embeddings", slidingWindow = "sliding_window"
        case expertCount = "num_local_experts", expertsPerToken = "num_experts_per_tok"
    }

    /// The RoPE settings from either spelling of the config.
    var rope: RopeParameters {
        if let p = ropeParameters?.parameters(layerType: "full_attention") { return p }
        let theta = ropeTheta ?? 10_000
        return ropeScaling?.withTheta(theta) ?? RopeParameters(theta: theta)
    }
}

enum LlamaFamily: ModelFamily {
    static let ggufArchitectures = ["llama"]
    static let huggingFaceModelTypes = ["llama", "mistral", "mixtral"]

    static func configuration(huggingFaceConfig data: Data) throws -> DecoderConfiguration {
        let config = try decodeHuggingFaceConfig(LlamaConfiguration.self, from: data)
        let dh = config.headDimensions ?? config.hiddenSize / max(1, config.attentionHeads)
        let moe = config.expertCount.map {
            DecoderConfiguration.MixtureOfExperts(expertCount: $0, expertsPerToken: config.expertsPerToken ?? 2)
        }
        return DecoderConfiguration(
            vocabularySize: config.vocabularySize, hiddenSize: config.hiddenSize,
            intermediateSize: config.intermediateSize, layerCount: config.layerCount,
            attentionHeads: config.attentionHeads, keyValueHeads: config.keyValueHeads ?? config.attentionHeads,
            headDimensions: dh, normEpsilon: Float(config.normEpsilon),
            rotary: RotaryEmbedding(headDimensions: dh, inverseFrequencies: try config.rope.inverseFrequencies(headDimensions: dh), pairing: .halves),
            slidingWindow: config.slidingWindow, tiedEmbeddings: config.tiedEmbeddings ?? false,
            mixtureOfExperts: moe)
    }

    /// llama.cpp permutes the query and key weights of llama-architecture files so that RoPE
    /// rotates adjacent pairs; Mixtral files carry `expert_count`.
    static func configuration(gguf file: GGUFFile) throws -> DecoderConfiguration {
        let h = try GGUFHyperparameters(file)
        let d = try h.int("embedding_length"), heads = try h.int("attention.head_count")
        let dh = try h.optionalInt("attention.key_length") ?? d / max(1, heads)
        let moe = try h.optionalInt("expert_count").map {
            DecoderConfiguration.MixtureOfExperts(expertCount: $0, expertsPerToken: try h.optionalInt("expert_used_count") ?? 2)
        }
        return DecoderConfiguration(
            vocabularySize: try h.vocabularySize(), hiddenSize: d, intermediateSize: try h.int("feed_forward_length"),
            layerCount: try h.int("block_count"), attentionHeads: heads,
            keyValueHeads: try h.optionalInt("attention.head_count_kv") ?? heads, headDimensions: dh,
            normEpsilon: try h.float("attention.layer_norm_rms_epsilon"),
            rotary: RotaryEmbedding(
                headDimensions: dh,
                inverseFrequencies: try h.inverseFrequencies(headDimensions: dh, base: try h.optionalFloat("rope.freq_base") ?? 10_000),
                pairing: .interleaved),
            slidingWindow: try h.optionalInt("attention.sliding_window"),
            tiedEmbeddings: !file.hasTensor(named: "output.weight"), mixtureOfExperts: moe)
    }
}

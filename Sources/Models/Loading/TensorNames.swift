/// The checkpoint names of one layer's tensors. Only names a family has are non-nil.
struct LayerTensorNames {
    var attentionNorm: String
    var query: String
    var key: String
    var value: String
    var output: String
    var queryNorm: String?
    var keyNorm: String?
    var postAttentionNorm: String?
    var feedForwardNorm: String
    var postFeedForwardNorm: String?
    var gate: String
    var up: String
    var down: String
    var router: String?
    var expertGate: ((Int) -> String)?
    var expertUp: ((Int) -> String)?
    var expertDown: ((Int) -> String)?
}

/// How a checkpoint format names a decoder's tensors. The two formats name things the same way
/// in every family except the norms around the MLP and the experts, which the families adjust.
struct TensorNameMap {
    var tokenEmbedding: String
    var finalNorm: String
    var outputProjection: String
    /// Extra inverse-frequency divisors of RoPE (llama.cpp's `rope_freqs`), when present.
    var ropeFrequencyFactors: String?
    var layer: (Int) -> LayerTensorNames

    /// llama.cpp's names (`blk.N.attn_q.weight`, …).
    static let gguf = TensorNameMap(
        tokenEmbedding: "token_embd.weight", finalNorm: "output_norm.weight", outputProjection: "output.weight",
        ropeFrequencyFactors: "rope_freqs.weight"
    ) { i in
        let p = "blk.\(i)."
        return LayerTensorNames(
            attentionNorm: p + "attn_norm.weight", query: p + "attn_q.weight", key: p + "attn_k.weight",
            value: p + "attn_v.weight", output: p + "attn_output.weight",
            queryNorm: p + "attn_q_norm.weight", keyNorm: p + "attn_k_norm.weight",
            postAttentionNorm: p + "post_attention_norm.weight", feedForwardNorm: p + "ffn_norm.weight",
            postFeedForwardNorm: p + "post_ffw_norm.weight",
            gate: p + "ffn_gate.weight", up: p + "ffn_up.weight", down: p + "ffn_down.weight",
            router: p + "ffn_gate_inp.weight",
            expertGate: { _ in p + "ffn_gate_exps.weight" }, expertUp: { _ in p + "ffn_up_exps.weight" },
            expertDown: { _ in p + "ffn_down_exps.weight" })
    }

    /// Hugging Face transformers' names for Llama-style checkpoints (`model.layers.N.self_attn.q_proj.weight`, …),
    /// where `post_attention_layernorm` is the norm before the MLP.
    static let huggingFace = TensorNameMap(
        tokenEmbedding: "model.embed_tokens.weight", finalNorm: "model.norm.weight", outputProjection: "lm_head.weight",
        ropeFrequencyFactors: nil
    ) { i in
        let p = "model.layers.\(i)."
        return LayerTensorNames(
            attentionNorm: p + "input_layernorm.weight", query: p + "self_attn.q_proj.weight",
            key: p + "self_attn.k_proj.weight", value: p + "self_attn.v_proj.weight", output: p + "self_attn.o_proj.weight",
            queryNorm: p + "self_attn.q_norm.weight", keyNorm: p + "self_attn.k_norm.weight",
            postAttentionNorm: nil, feedForwardNorm: p + "post_attention_layernorm.weight", postFeedForwardNorm: nil,
            gate: p + "mlp.gate_proj.weight", up: p + "mlp.up_proj.weight", down: p + "mlp.down_proj.weight",
            router: p + "block_sparse_moe.gate.weight",
            expertGate: { e in p + "block_sparse_moe.experts.\(e).w1.weight" },
            expertUp: { e in p + "block_sparse_moe.experts.\(e).w3.weight" },
            expertDown: { e in p + "block_sparse_moe.experts.\(e).w2.weight" })
    }
}

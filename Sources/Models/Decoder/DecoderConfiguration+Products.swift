// Shape legend: D model dim, H heads, Hkv KV heads, Dh head dim, F FFN dim, V vocab, L layers, E experts.

/// One matrix product a token's forward runs: y (N, outputs) = x (N, inputs) · wᵀ, `count` times
/// per token (over the layers, and the routed experts of a mixture).
public struct MatrixProduct: Sendable, Equatable, Hashable {
    public var outputs: Int
    public var inputs: Int
    public var count: Int

    public init(outputs: Int, inputs: Int, count: Int) {
        self.outputs = outputs
        self.inputs = inputs
        self.count = count
    }

    /// Multiply-adds times 2 for one row.
    public var flopPerRow: Int { 2 * outputs * inputs * count }
}

extension DecoderConfiguration {
    /// The weight products one prefilled token runs in the layers (attention projections and MLP
    /// or routed experts), grouped by shape. Logits are left out: prefill asks for them at the last
    /// position only; attention's score and value products depend on the sequence, not the weights.
    public var layerProducts: [MatrixProduct] {
        let d = hiddenSize, f = intermediateSize, l = layerCount
        var products = [
            MatrixProduct(outputs: attentionWidth, inputs: d, count: l),   // query (H·Dh, D)
            MatrixProduct(outputs: keyValueWidth, inputs: d, count: 2 * l),  // key, value (Hkv·Dh, D)
            MatrixProduct(outputs: d, inputs: attentionWidth, count: l),   // output (D, H·Dh)
        ]
        let experts = mixtureOfExperts?.expertsPerToken ?? 1
        if let moe = mixtureOfExperts { products.append(MatrixProduct(outputs: moe.expertCount, inputs: d, count: l)) }
        products.append(MatrixProduct(outputs: f, inputs: d, count: 2 * l * experts))  // gate, up (F, D)
        products.append(MatrixProduct(outputs: d, inputs: f, count: l * experts))      // down (D, F)
        return products
    }

    /// FLOP of the layers' weight products per prefilled token: 2 × the weights a token multiplies by.
    public var prefillFlopPerToken: Int { layerProducts.reduce(0) { $0 + $1.flopPerRow } }

    /// FLOP of one row of logits (V, D).
    public var logitFlopPerRow: Int { 2 * vocabularySize * hiddenSize }
}

// Shape legend: B batch, T tokens (2 per point), D model dim (n_embd), H heads, Dh head dim,
// F FFN dim (4·D), L layers; d the regression input dimension, N points per prompt.

/// The function-regression transformer's sizes (Garg et al. 2022's GPT-2 backbone).
public struct RegressionTransformerConfiguration: Codable, Sendable, Equatable {
    /// D, the residual width (GPT-2's n_embd).
    public var embeddingWidth: Int
    /// L, the number of blocks.
    public var layerCount: Int
    /// H, attention heads per block; Dh = D / H.
    public var headCount: Int
    /// d, the width of every input row (x, or y in coordinate 0).
    public var inputDimension: Int
    /// The most points a prompt may hold; the model has 2·maxPoints learned positions.
    public var maxPoints: Int
    /// LayerNorm's epsilon (GPT-2: 1e-5).
    public var layerNormEpsilon: Float

    enum CodingKeys: String, CodingKey {
        case embeddingWidth = "n_embd", layerCount = "n_layer", headCount = "n_head"
        case inputDimension = "n_dims", maxPoints = "n_points", layerNormEpsilon = "layer_norm_epsilon"
    }

    /// - Throws: `ModelLoadError.invalidConfiguration` for sizes that cannot form a model.
    public init(embeddingWidth: Int, layerCount: Int, headCount: Int, inputDimension: Int,
                maxPoints: Int = 101, layerNormEpsilon: Float = 1e-5) throws {
        self.embeddingWidth = embeddingWidth
        self.layerCount = layerCount
        self.headCount = headCount
        self.inputDimension = inputDimension
        self.maxPoints = maxPoints
        self.layerNormEpsilon = layerNormEpsilon
        try validate()
    }

    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            embeddingWidth: c.decode(Int.self, forKey: .embeddingWidth),
            layerCount: c.decode(Int.self, forKey: .layerCount),
            headCount: c.decode(Int.self, forKey: .headCount),
            inputDimension: c.decode(Int.self, forKey: .inputDimension),
            maxPoints: c.decode(Int.self, forKey: .maxPoints),
            layerNormEpsilon: c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-5)
    }

    /// A preset size for inputs of dimension `inputDimension`.
    public init(size: RegressionModelSize, inputDimension: Int, maxPoints: Int = 101) throws {
        let (width, layers, heads) = size.dimensions
        try self.init(embeddingWidth: width, layerCount: layers, headCount: heads,
                      inputDimension: inputDimension, maxPoints: maxPoints)
    }

    /// Dh.
    public var headDimensions: Int { embeddingWidth / headCount }
    /// F = 4·D.
    public var feedForwardWidth: Int { 4 * embeddingWidth }
    /// 2·maxPoints: one position per x and per y.
    public var positionCount: Int { 2 * maxPoints }

    func validate() throws {
        func invalid(_ why: String) -> ModelLoadError { .invalidConfiguration("regression transformer: " + why) }
        guard embeddingWidth >= 1, layerCount >= 1, headCount >= 1 else {
            throw invalid("n_embd \(embeddingWidth), n_layer \(layerCount), n_head \(headCount) must all be positive")
        }
        guard embeddingWidth % headCount == 0 else {
            throw invalid("n_embd \(embeddingWidth) is not a multiple of n_head \(headCount)")
        }
        guard inputDimension >= 1, maxPoints >= 1 else {
            throw invalid("n_dims \(inputDimension) and n_points \(maxPoints) must be positive")
        }
        // Guards a lying config against multi-gigabyte allocations before any tensor is read.
        guard embeddingWidth <= 8192, layerCount <= 256, inputDimension <= 4096, maxPoints <= 65536 else {
            throw invalid("sizes n_embd \(embeddingWidth), n_layer \(layerCount), n_dims \(inputDimension), n_points \(maxPoints) exceed the supported range")
        }
        guard layerNormEpsilon > 0, layerNormEpsilon.isFinite else {
            throw invalid("layer_norm_epsilon must be positive and finite, got \(layerNormEpsilon)")
        }
    }
}

/// The three sizes of the LTV paper's regression experiments (n_embd/n_layer/n_head).
public enum RegressionModelSize: String, CaseIterable, Codable, Sendable {
    /// 64/3/2.
    case tiny
    /// 128/6/4.
    case small
    /// 256/12/8 (Garg et al.'s "standard").
    case standard

    public var dimensions: (embeddingWidth: Int, layers: Int, heads: Int) {
        switch self {
        case .tiny: return (64, 3, 2)
        case .small: return (128, 6, 4)
        case .standard: return (256, 12, 8)
        }
    }
}

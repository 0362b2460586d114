import Foundation
import Tensors

/// RoPE settings as Hugging Face configs write them: newer files put them in `rope_parameters`
/// (flat, or keyed by layer type as Gemma 3 does), older ones in `rope_theta` + `rope_scaling`.
struct RopeParameters: Decodable, Equatable {
    var theta: Double
    /// "default", "linear" or "llama3".
    var type: String
    var factor: Double?
    var lowFrequencyFactor: Double?
    var highFrequencyFactor: Double?
    var originalMaxPositions: Int?

    enum CodingKeys: String, CodingKey {
        case theta = "rope_theta", type = "rope_type", legacyType = "type", factor
        case lowFrequencyFactor = "low_freq_factor", highFrequencyFactor = "high_freq_factor"
        case originalMaxPositions = "original_max_position_embeddings"
    }

    init(theta: Double, type: String = "default", factor: Double? = nil) {
        self.theta = theta
        self.type = type
        self.factor = factor
    }

    init(from decoder: Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        theta = try c.decodeIfPresent(Double.self, forKey: .theta) ?? 10_000
        type = try c.decodeIfPresent(String.self, forKey: .type)
            ?? c.decodeIfPresent(String.self, forKey: .legacyType) ?? "default"
        factor = try c.decodeIfPresent(Double.self, forKey: .factor)
        lowFrequencyFactor = try c.decodeIfPresent(Double.self, forKey: .lowFrequencyFactor)
        highFrequencyFactor = try c.decodeIfPresent(Double.self, forKey: .highFrequencyFactor)
        originalMaxPositions = try c.decodeIfPresent(Int.self, forKey: .originalMaxPositions)
    }

    /// The scaling of a legacy `rope_scaling` object applied to a base `theta`.
    func withTheta(_ theta: Double) -> RopeParameters {
        var copy = self
        copy.theta = theta
        return copy
    }

    /// Inverse frequencies for heads of `headDimensions`, after scaling.
    /// - Throws: `ModelLoadError.invalidConfiguration` for a scaling type this engine lacks.
    func inverseFrequencies(headDimensions: Int) throws -> [Float] {
        let base = RotaryEmbedding.defaultFrequencies(headDimensions: headDimensions, base: Float(theta))
        switch type {
        case "default":
            return base
        case "linear":
            let f = Float(factor ?? 1)
            return base.map { $0 / f }
        case "llama3":
            guard let factor, let low = lowFrequencyFactor, let high = highFrequencyFactor, let original = originalMaxPositions else {
                throw ModelLoadError.invalidConfiguration("llama3 rope scaling needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings")
            }
            let lowWavelength = Double(original) / low, highWavelength = Double(original) / high
            return base.map { f in
                let frequency = Double(f), wavelength = 2 * Double.pi / frequency
                if wavelength < highWavelength { return f }
                if wavelength > lowWavelength { return Float(frequency / factor) }
                let smooth = (Double(original) / wavelength - low) / (high - low)
                return Float((1 - smooth) * frequency / factor + smooth * frequency)
            }
        default:
            throw ModelLoadError.invalidConfiguration("rope type '\(type)' is not supported (default, linear, llama3)")
        }
    }
}

/// `rope_parameters`: one set for all layers, or one per layer type ("full_attention", "sliding_attention").
enum RopeParametersField: Decodable, Equatable {
    case shared(RopeParameters)
    case perLayerType([String: RopeParameters])

    init(from decoder: Swift.Decoder) throws {
        if let perType = try? [String: RopeParameters](from: decoder), !perType.isEmpty,
           perType.keys.allSatisfy({ $0.hasSuffix("_attention") }) {
            self = .perLayerType(perType)
        } else {
            self = .shared(try RopeParameters(from: decoder))
        }
    }

    func parameters(layerType: String) -> RopeParameters? {
        switch self {
        case .shared(let p): return p
        case .perLayerType(let d): return d[layerType]
        }
    }
}

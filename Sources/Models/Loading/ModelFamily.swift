import Foundation
import ModelFormats
import Tensors

/// A model family: which checkpoint keys name it, and how its checkpoints map onto the decoder.
/// Adding a family is one file in Families/ and one line in `ModelFamilyRegistry`.
protocol ModelFamily {
    /// GGUF `general.architecture` values this family reads.
    static var ggufArchitectures: [String] { get }
    /// config.json `model_type` values this family reads.
    static var huggingFaceModelTypes: [String] { get }
    /// The decoder configuration described by a GGUF file's metadata.
    static func configuration(gguf: GGUFFile) throws -> DecoderConfiguration
    /// The decoder configuration described by a config.json.
    static func configuration(huggingFaceConfig data: Data) throws -> DecoderConfiguration
    /// The names under which a Hugging Face checkpoint of this family stores its tensors.
    static var huggingFaceTensorNames: TensorNameMap { get }
}

extension ModelFamily {
    static var huggingFaceTensorNames: TensorNameMap { .huggingFace }
}

/// GGUF hyperparameters under the `<architecture>.` prefix, as llama.cpp writes them.
struct GGUFHyperparameters {
    let file: GGUFFile
    let prefix: String

    init(_ file: GGUFFile) throws {
        self.file = file
        prefix = try file.architecture()
    }

    func int(_ key: String) throws -> Int { try file.int("\(prefix).\(key)") }
    func optionalInt(_ key: String) throws -> Int? { try file.optionalInt("\(prefix).\(key)") }
    func float(_ key: String) throws -> Float { try file.float("\(prefix).\(key)") }
    func optionalFloat(_ key: String) throws -> Float? { try file.optionalFloat("\(prefix).\(key)") }
    func optionalString(_ key: String) throws -> String? { try file.optionalString("\(prefix).\(key)") }

    /// V: from `<arch>.vocab_size`, else the tokenizer's token count, else the embedding's rows.
    func vocabularySize() throws -> Int {
        if let v = try optionalInt("vocab_size") { return v }
        if let tokens = file.metadata["tokenizer.ggml.tokens"]?.asArray { return tokens.count }
        return try file.tensorInfo(named: "token_embd.weight").dimensions.last ?? 0
    }

    /// Base inverse frequencies, with linear scaling when the file says so, divided by
    /// `rope_freqs.weight` when present (llama.cpp stores Llama 3.1's scaling that way).
    func inverseFrequencies(headDimensions: Int, base: Float) throws -> [Float] {
        var frequencies = RotaryEmbedding.defaultFrequencies(headDimensions: headDimensions, base: base)
        if try optionalString("rope.scaling.type") == "linear", let factor = try optionalFloat("rope.scaling.factor"), factor > 0 {
            frequencies = frequencies.map { $0 / factor }
        }
        if file.hasTensor(named: "rope_freqs.weight") {
            let factors = try file.dequantize(named: "rope_freqs.weight")
            guard factors.count == frequencies.count else {
                throw ModelLoadError.shapeMismatch(tensor: "rope_freqs.weight", expected: [frequencies.count], found: [factors.count])
            }
            frequencies = zip(frequencies, factors).map { $0 / $1 }
        }
        return frequencies
    }
}

/// Decodes a config.json, reading a nested `text_config` when the file wraps a text model
/// (multimodal checkpoints such as gemma-3-4b).
func decodeHuggingFaceConfig<C: Decodable>(_ type: C.Type, from data: Data) throws -> C {
    do {
        if let nested = try? JSONDecoder().decode(TextConfigWrapper<C>.self, from: data), let config = nested.textConfig {
            return config
        }
        return try JSONDecoder().decode(C.self, from: data)
    } catch let error as DecodingError {
        throw ModelLoadError.invalidConfiguration("config.json: \(describe(error))")
    }
}

private struct TextConfigWrapper<C: Decodable>: Decodable {
    let textConfig: C?
    enum CodingKeys: String, CodingKey { case textConfig = "text_config" }
}

func describe(_ error: DecodingError) -> String {
    switch error {
    case .keyNotFound(let key, let context):
        return "missing key '\(key.stringValue)' at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
    case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
        return "expected \(type) at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
    case .dataCorrupted(let context):
        return "invalid JSON (\(context.debugDescription))"
    @unknown default:
        return "\(error)"
    }
}

import Foundation
import ModelFormats

/// The model families, keyed by the checkpoint strings that name them. These keys are the only
/// strings that select behaviour.
public enum ModelFamilyRegistry {
    static let families: [any ModelFamily.Type] = [LlamaFamily.self, Qwen3Family.self, Gemma3Family.self]

    /// Every GGUF `general.architecture` understood.
    public static var ggufArchitectures: [String] { families.flatMap { $0.ggufArchitectures }.sorted() }
    /// Every config.json `model_type` understood.
    public static var huggingFaceModelTypes: [String] { families.flatMap { $0.huggingFaceModelTypes }.sorted() }

    static func family(ggufArchitecture name: String, file: String) throws -> any ModelFamily.Type {
        guard let family = families.first(where: { $0.ggufArchitectures.contains(name) }) else {
            throw ModelLoadError.unsupportedArchitecture(name, supported: ggufArchitectures, file: file)
        }
        return family
    }

    static func family(huggingFaceModelType name: String, file: String) throws -> any ModelFamily.Type {
        guard let family = families.first(where: { $0.huggingFaceModelTypes.contains(name) }) else {
            throw ModelLoadError.unsupportedArchitecture(name, supported: huggingFaceModelTypes, file: file)
        }
        return family
    }
}

/// Builds decoders from checkpoint files.
public enum DecoderLoader {
    /// A decoder from a GGUF file. `storage` says whether weight matrices are Float32 copies, the
    /// file's blocks, or Float32 copies whose small forward products read the blocks (the default,
    /// as `bench` loads them; see `GGUFMatrixStorage`).
    public static func load(gguf file: GGUFFile, storage: GGUFMatrixStorage = .float32ReadingBlocks) throws -> Decoder {
        let family = try ModelFamilyRegistry.family(ggufArchitecture: try file.architecture(), file: file.url.path)
        return try assembleDecoder(
            from: GGUFWeights(file: file, storage: storage), names: .gguf,
            configuration: try family.configuration(gguf: file))
    }

    /// A decoder from a Hugging Face folder: config.json plus model.safetensors or sharded safetensors.
    public static func load(huggingFaceFolder folder: URL) throws -> Decoder {
        let configURL = folder.appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: configURL) else {
            throw ModelLoadError.modelNotFound(folder.path, searched: [configURL.path], hint: "A Hugging Face model folder holds config.json and *.safetensors.")
        }
        struct ModelType: Decodable { let model_type: String? }
        guard let modelType = (try? JSONDecoder().decode(ModelType.self, from: data))?.model_type else {
            throw ModelLoadError.invalidConfiguration("\(configURL.path): no model_type")
        }
        let family = try ModelFamilyRegistry.family(huggingFaceModelType: modelType, file: configURL.path)
        let configuration: DecoderConfiguration
        do {
            configuration = try family.configuration(huggingFaceConfig: data)
        } catch ModelLoadError.invalidConfiguration(let why) {
            throw ModelLoadError.invalidConfiguration("\(configURL.path): \(why)")
        }
        return try assembleDecoder(
            from: try SafetensorsWeights(folder: folder), names: family.huggingFaceTensorNames,
            configuration: configuration)
    }
}

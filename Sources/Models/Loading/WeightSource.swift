import Foundation
import ModelFormats
import Tensors

/// Where a decoder's tensors come from. Every tensor is returned in Float32 with PyTorch's shape
/// (a Linear weight is (outputs, inputs)).
public protocol WeightSource {
    /// The file or folder, for messages.
    var location: String { get }
    func contains(_ name: String) -> Bool
    func tensor(_ name: String) throws -> Tensor
}

extension WeightSource {
    /// The tensor when present, nil otherwise.
    func optionalTensor(_ name: String) throws -> Tensor? {
        contains(name) ? try tensor(name) : nil
    }

    func requiredTensor(_ name: String) throws -> Tensor {
        guard contains(name) else { throw ModelLoadError.missingTensor(name: name, file: location) }
        return try tensor(name)
    }
}

/// Tensors of a GGUF file, dequantised. GGUF lists dimensions fastest first, so (ne0, ne1) is
/// the row-major shape (ne1, ne0).
public struct GGUFWeights: WeightSource {
    public let file: GGUFFile
    public init(file: GGUFFile) { self.file = file }
    public var location: String { file.url.path }
    public func contains(_ name: String) -> Bool { file.hasTensor(named: name) }
    public func tensor(_ name: String) throws -> Tensor {
        let info = try file.tensorInfo(named: name)
        return Tensor(shape: info.dimensions.reversed(), scalars: try file.dequantize(info))
    }
}

/// Tensors of a Hugging Face folder (model.safetensors or an index with shards).
public struct SafetensorsWeights: WeightSource {
    public let files: ShardedSafetensors
    public let folder: URL
    public init(folder: URL) throws {
        self.folder = folder
        files = try ShardedSafetensors(folder: folder)
    }
    public var location: String { folder.path }
    public func contains(_ name: String) -> Bool { files.contains(name) }
    public func tensor(_ name: String) throws -> Tensor {
        let (_, info) = try files.info(named: name)
        return Tensor(shape: info.shape, scalars: try files.floats(named: name))
    }
}

import Foundation
import ModelFormats
import Tensors

/// Where a decoder's tensors come from. Every tensor is returned in Float32 with PyTorch's shape
/// (a Linear weight is (outputs, inputs)); `matrix(_:)` returns a rank-2 weight in the width the
/// source stores it, when it can (by default: the Float32 tensor).
public protocol WeightSource {
    /// The file or folder, for messages.
    var location: String { get }
    func contains(_ name: String) -> Bool
    func tensor(_ name: String) throws -> Tensor
    /// A rank-2 weight (O, I).
    func matrix(_ name: String) throws -> WeightMatrix
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

    /// The Float32 tensor as a matrix (a copy); sources that store narrower widths override it.
    public func matrix(_ name: String) throws -> WeightMatrix {
        try WeightMatrix(requireRankTwo(tensor(name), name))
    }

    func requireRankTwo(_ t: Tensor, _ name: String) throws -> Tensor {
        guard t.rank == 2 else { throw ModelLoadError.invalidConfiguration("\(location): tensor \(name) has shape \(t.shape); a weight matrix needs rank 2") }
        return t
    }

    func requiredMatrix(_ name: String) throws -> WeightMatrix {
        guard contains(name) else { throw ModelLoadError.missingTensor(name: name, file: location) }
        return try matrix(name)
    }

    func optionalMatrix(_ name: String) throws -> WeightMatrix? {
        contains(name) ? try matrix(name) : nil
    }
}

/// How `GGUFWeights.matrix(_:)` returns a weight matrix stored in GGUF blocks.
public enum GGUFMatrixStorage: Sendable {
    /// Dequantised Float32 copies, and nothing else: every product reads them.
    case float32
    /// Dequantised Float32 copies that keep a view of their blocks in the mapped file: forward
    /// products of up to `WeightKernels.blockMatrixVectorRowLimit` rows (decode, the last-token
    /// logits) read the blocks, the same numbers in 4–8 times fewer bytes
    /// (`WeightMatrix.readingBlocksInSmallProducts(_:)`); prefill, training and the backward read
    /// the Float32 copies.
    case float32ReadingBlocks
    /// Views of the blocks in the mapped file (and of F32/F16/BF16 elements): no Float32 copy.
    case blocks
}

/// Tensors of a GGUF file, dequantised; weight matrices as `storage` says. Block types without
/// kernels are dequantised whatever `storage` says. GGUF lists dimensions fastest first, so
/// (ne0, ne1) is the row-major shape (ne1, ne0).
public struct GGUFWeights: WeightSource {
    public let file: GGUFFile
    public let storage: GGUFMatrixStorage
    public init(file: GGUFFile, storage: GGUFMatrixStorage = .float32) {
        self.file = file
        self.storage = storage
    }
    public var location: String { file.url.path }
    public func contains(_ name: String) -> Bool { file.hasTensor(named: name) }
    public func tensor(_ name: String) throws -> Tensor {
        let info = try file.tensorInfo(named: name)
        return Tensor(shape: info.dimensions.reversed(), scalars: try file.dequantize(info))
    }

    /// Dequantised to Float32 straight into the matrix's storage (no intermediate array), or a
    /// view of the tensor's bytes in the mapped file (which the matrix keeps open), or both.
    public func matrix(_ name: String) throws -> WeightMatrix {
        let info = try file.tensorInfo(named: name)
        guard info.dimensions.count == 2 else {
            throw ModelLoadError.invalidConfiguration("\(location): tensor \(name) has dimensions \(info.dimensions); a weight matrix needs 2")
        }
        let bytes = file.rawBytes(of: info)
        var view: WeightMatrix?
        #if _endian(little)
        if storage != .float32, let type = WeightStorageType(ggml: info.type) {
            // The file's parser checked that the bytes are whole blocks of the tensor's shape.
            view = WeightMatrix(outputs: info.dimensions[1], inputs: info.dimensions[0], storageType: type, bytes: bytes, owner: file)
        }
        #endif
        if storage == .blocks, let view { return view }
        guard info.type.isDequantizable else {
            throw ModelFormatError.unsupportedDequantization(path: file.path, tensor: name, type: info.type.name)
        }
        let float32 = WeightMatrix(outputs: info.dimensions[1], inputs: info.dimensions[0]) { destination in
            info.type.dequantizeConcurrently(bytes, elementCount: info.elementCount, into: destination)
        }
        guard let view, view.storageType.isBlockQuantized else { return float32 }
        return float32.readingBlocksInSmallProducts(view)
    }
}

extension WeightStorageType {
    /// The storage that holds a GGUF tensor of `type` as it is, when a kernel reads it; nil otherwise.
    public init?(ggml type: GGMLType) {
        switch type {
        case .f32: self = .float32
        case .f16: self = .float16
        case .bf16: self = .bfloat16
        case .q4_0: self = .q4_0
        case .q4_1: self = .q4_1
        case .q5_0: self = .q5_0
        case .q8_0: self = .q8_0
        case .q4_K: self = .q4_K
        case .q5_K: self = .q5_K
        case .q6_K: self = .q6_K
        default: return nil
        }
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

    /// F32, F16 and BF16 tensors are views into the mapped shard (no copy, no widening); the
    /// matrix keeps the shard mapped. Other dtypes are converted to Float32.
    public func matrix(_ name: String) throws -> WeightMatrix {
        let (file, info) = try files.info(named: name)
        guard info.shape.count == 2 else {
            throw ModelLoadError.invalidConfiguration("\(file.path): tensor \(name) has shape \(info.shape); a weight matrix needs rank 2")
        }
        #if _endian(big)
        return try WeightMatrix(Tensor(shape: info.shape, scalars: file.floats(of: info)))  // views assume little-endian
        #endif
        let type: WeightStorageType
        switch info.dtype {
        case .f32: type = .float32
        case .bf16: type = .bfloat16
        case .f16: type = .float16
        default: return try WeightMatrix(Tensor(shape: info.shape, scalars: file.floats(of: info)))
        }
        // The header parser checked that the byte range holds exactly shape × dtype size bytes.
        return WeightMatrix(outputs: info.shape[0], inputs: info.shape[1], storageType: type,
                            bytes: file.rawBytes(of: info), owner: file)
    }
}

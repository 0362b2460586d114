// Shape legend: O outputs, I inputs (a Linear weight stored as PyTorch does: (O, I)), V vocab, D model dim.
import CKernels

/// How the elements of a `WeightMatrix` are stored: one float per element, or GGUF blocks of 32
/// or 256 elements (a scale or two and packed integer levels) that the kernels decode in registers.
public enum WeightStorageType: String, Sendable, CaseIterable {
    case float32, bfloat16, float16
    /// ggml's block formats (layouts in `CKernels/quantblocks.h` and ModelFormats' dequantisers).
    case q4_0, q4_1, q5_0, q8_0, q4_K, q5_K, q6_K

    /// The one-float-per-element types, which any matrix can be converted to.
    public static let elementTypes: [WeightStorageType] = [.float32, .bfloat16, .float16]

    /// Whether elements are stored in GGUF blocks.
    public var isBlockQuantized: Bool { !Self.elementTypes.contains(self) }

    /// Elements per block: 1 for the float types, 32 or 256 for the block types.
    public var blockElements: Int {
        isBlockQuantized ? Int(tvb_quant_block_elements(kernelKind)) : 1
    }

    /// Bytes per block (per element for the float types).
    public var blockBytes: Int {
        switch self {
        case .float32: return 4
        case .bfloat16, .float16: return 2
        default: return Int(tvb_quant_block_bytes(kernelKind))
        }
    }

    /// Bytes of one row of `inputs` elements (a whole number of blocks).
    public func rowByteCount(inputs: Int) -> Int { inputs / blockElements * blockBytes }
}

/// A frozen (O, I) weight matrix kept in the width it was stored in: Float32, BFloat16, Float16, or
/// the GGUF blocks of a quantised checkpoint (row o is the o-th run of I / blockElements blocks).
///
/// Its bytes are either owned (copied in, freed with the last copy of the matrix) or a view into
/// memory that another object owns, such as a memory-mapped safetensors file; the matrix keeps that
/// owner alive. `Tape.linear(_:weight:bias:)` multiplies by it, converting 16-bit elements on the
/// fly, so a bf16 checkpoint (or a 4-bit GGUF file) never needs a Float32 copy of its weights.
public struct WeightMatrix: Sendable {
    /// O: rows.
    public let outputs: Int
    /// I: columns (contiguous).
    public let inputs: Int
    public let storageType: WeightStorageType
    let buffer: WeightBuffer
    /// A bfloat16 copy packed for the AVX512_BF16 product (`withBFloat16Panels()`); nil computes
    /// from the stored elements.
    var bfloat16Panels: WeightBuffer? = nil
    /// Whether small forward products round the activations to int8 (`withInt8Activations()`).
    var int8Activations = false
    /// The GGUF blocks these Float32 elements were dequantised from (`readingBlocksInSmallProducts(_:)`):
    /// forward products of up to `WeightKernels.blockMatrixVectorRowLimit` rows read them instead.
    var sourceBlocks: SourceBlocks? = nil

    /// [O, I].
    public var shape: [Int] { [outputs, inputs] }
    public var count: Int { outputs * inputs }
    /// Bytes of weight data (owned or viewed).
    public var byteCount: Int { outputs * storageType.rowByteCount(inputs: inputs) }
    /// Whether the bytes belong to another object (a mapped file) rather than to this matrix.
    public var isView: Bool { buffer.isView }

    /// A Float32 matrix holding a copy of a rank-2 tensor (O, I).
    public init(_ tensor: Tensor) {
        precondition(tensor.rank == 2, "WeightMatrix: expected an (O, I) tensor, got shape \(tensor.shape)")
        outputs = tensor.shape[0]
        inputs = tensor.shape[1]
        storageType = .float32
        buffer = tensor.scalars.withUnsafeBytes { WeightBuffer(copying: $0) }
    }

    /// A Float32 matrix whose O·I elements (row-major) `fill` writes into the new storage, so a
    /// loader can dequantise straight into it without an intermediate array.
    public init(outputs: Int, inputs: Int, fillingFloat32 fill: (UnsafeMutablePointer<Float>) throws -> Void) rethrows {
        precondition(outputs >= 0 && inputs >= 0, "WeightMatrix: negative shape (\(outputs), \(inputs))")
        self.outputs = outputs
        self.inputs = inputs
        storageType = .float32
        buffer = WeightBuffer(uninitializedByteCount: outputs * inputs * 4)
        try fill(UnsafeMutableRawPointer(mutating: buffer.base).assumingMemoryBound(to: Float.self))
    }

    /// A matrix holding a copy of 16-bit elements (bit patterns of bfloat16 or float16), row-major.
    public init(outputs: Int, inputs: Int, storageType: WeightStorageType, bits: [UInt16]) {
        precondition(storageType != .float32, "WeightMatrix: 16-bit bits given for Float32 storage")
        precondition(outputs >= 0 && inputs >= 0 && bits.count == outputs * inputs,
                     "WeightMatrix: \(bits.count) elements for (\(outputs), \(inputs))")
        self.outputs = outputs
        self.inputs = inputs
        self.storageType = storageType
        buffer = bits.withUnsafeBytes { WeightBuffer(copying: $0) }
    }

    /// A view of `bytes` (little-endian elements or blocks of `storageType`, row-major) that keeps
    /// `owner` alive; `bytes` must stay valid and unchanged while `owner` lives. Float bytes that are
    /// not aligned to the element size are copied instead (blocks are read unaligned).
    /// - Precondition: I is a whole number of blocks and `bytes.count == O · rowByteCount(inputs: I)`
    ///   (callers check input files first).
    public init(outputs: Int, inputs: Int, storageType: WeightStorageType, bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        Self.checkBytes(bytes.count, outputs: outputs, inputs: inputs, storageType)
        self.outputs = outputs
        self.inputs = inputs
        self.storageType = storageType
        let alignment = storageType.isBlockQuantized ? 1 : storageType.blockBytes
        let aligned = bytes.baseAddress.map { Int(bitPattern: $0) % alignment == 0 } ?? true
        buffer = aligned ? WeightBuffer(viewing: bytes, owner: owner) : WeightBuffer(copying: bytes)
    }

    /// A matrix holding a copy of `bytes`: GGUF blocks of a block type, row after row.
    /// - Precondition: as for the view initialiser.
    public init(outputs: Int, inputs: Int, storageType: WeightStorageType, blocks bytes: [UInt8]) {
        precondition(storageType.isBlockQuantized, "WeightMatrix: blocks given for \(storageType) storage")
        Self.checkBytes(bytes.count, outputs: outputs, inputs: inputs, storageType)
        self.outputs = outputs
        self.inputs = inputs
        self.storageType = storageType
        buffer = bytes.withUnsafeBytes { WeightBuffer(copying: $0) }
    }

    /// A matrix over an existing buffer (the view `sourceBlocks` hands to the block kernels).
    init(outputs: Int, inputs: Int, storageType: WeightStorageType, buffer: WeightBuffer) {
        self.outputs = outputs
        self.inputs = inputs
        self.storageType = storageType
        self.buffer = buffer
    }

    private static func checkBytes(_ count: Int, outputs: Int, inputs: Int, _ type: WeightStorageType) {
        precondition(outputs >= 0 && inputs >= 0 && inputs % type.blockElements == 0,
                     "WeightMatrix: (\(outputs), \(inputs)) is not whole \(type) blocks of \(type.blockElements) per row")
        precondition(count == outputs * type.rowByteCount(inputs: inputs),
                     "WeightMatrix: \(count) bytes for (\(outputs), \(inputs)) of \(type)")
    }

    /// The same numbers re-encoded in `type` (rounding to nearest even when narrowing).
    /// - Precondition: `type` is one of `WeightStorageType.elementTypes` (or the matrix's own type):
    ///   there is no quantiser; block types come from GGUF files.
    public func converted(to type: WeightStorageType) -> WeightMatrix {
        if type == storageType { return self }
        precondition(!type.isBlockQuantized, "WeightMatrix: cannot quantise \(storageType) to \(type); block weights are only loaded")
        let values = floats()
        switch type {
        case .float32:
            return WeightMatrix(Tensor(shape: shape, scalars: values))
        case .bfloat16:
            return WeightMatrix(outputs: outputs, inputs: inputs, storageType: .bfloat16, bits: values.map(bfloat16Bits))
        case .float16:
            return WeightMatrix(outputs: outputs, inputs: inputs, storageType: .float16, bits: values.map(float16Bits))
        default:
            preconditionFailure("unreachable: \(type) is a block type")
        }
    }

    /// Every element as Float32, row-major: O·I floats (a full-width copy; for tests and small matrices).
    public func floats() -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            if let destination = out.baseAddress { convertRows(0..<outputs, into: destination) }
            initialized = count
        }
    }

    /// The matrix as a Float32 tensor (O, I).
    public func tensor() -> Tensor { Tensor(shape: shape, scalars: floats()) }

    /// Row `o` as Float32: I floats.
    public func row(_ o: Int) -> [Float] {
        precondition(o >= 0 && o < outputs, "WeightMatrix: row \(o) outside \(outputs) rows")
        return [Float](unsafeUninitializedCapacity: inputs) { out, initialized in
            if let destination = out.baseAddress { convertRows(o..<(o + 1), into: destination) }
            initialized = inputs
        }
    }

    /// Element (o, i) as Float32; the slow scalar path, used by the reference loops.
    public func element(_ o: Int, _ i: Int) -> Float {
        precondition(o >= 0 && o < outputs && i >= 0 && i < inputs, "WeightMatrix: (\(o), \(i)) outside \(shape)")
        let index = o * inputs + i
        switch storageType {
        case .float32: return buffer.base.load(fromByteOffset: 4 * index, as: Float.self)
        case .bfloat16: return floatFromBFloat16(buffer.base.load(fromByteOffset: 2 * index, as: UInt16.self))
        case .float16: return floatFromFloat16(buffer.base.load(fromByteOffset: 2 * index, as: UInt16.self))
        default:
            // Decode the element's block alone (at most 256 floats).
            let perBlock = storageType.blockElements, block = index / perBlock
            var decoded = [Float](repeating: 0, count: perBlock)
            decoded.withUnsafeMutableBufferPointer { out in
                tvb_dequantize_naive(out.baseAddress!, buffer.base.assumingMemoryBound(to: UInt8.self) + block * storageType.blockBytes,
                                     perBlock, storageType.kernelKind)
            }
            return decoded[index % perBlock]
        }
    }

    /// Writes rows `rows` as Float32 to `destination` ((rows.count, I), contiguous).
    func convertRows(_ rows: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= outputs, "WeightMatrix: rows \(rows) outside \(outputs)")
        let n = rows.count * inputs, start = rows.lowerBound * inputs
        switch storageType {
        case .float32:
            destination.update(from: buffer.base.assumingMemoryBound(to: Float.self) + start, count: n)
        case .bfloat16, .float16:
            convert16(destination, buffer.base.assumingMemoryBound(to: UInt16.self) + start, count: n, storageType)
        default:
            let rowBytes = storageType.rowByteCount(inputs: inputs)
            tvb_dequantize(destination, buffer.base.assumingMemoryBound(to: UInt8.self) + rows.lowerBound * rowBytes, n, storageType.kernelKind)
        }
    }
}

/// The bytes behind a `WeightMatrix`: an owned allocation, or a view kept alive by its owner.
final class WeightBuffer: @unchecked Sendable {
    /// Immutable for the buffer's lifetime, so sharing it between threads is safe.
    let base: UnsafeRawPointer
    let byteCount: Int
    private let allocation: UnsafeMutableRawPointer?
    private let owner: AnyObject?

    var isView: Bool { allocation == nil }

    init(uninitializedByteCount count: Int) {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        allocation = memory
        base = UnsafeRawPointer(memory)
        byteCount = count
        owner = nil
    }

    init(copying bytes: UnsafeRawBufferPointer) {
        // 64-byte alignment: whole cache lines for the vector kernels.
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        if let source = bytes.baseAddress, bytes.count > 0 { memory.copyMemory(from: source, byteCount: bytes.count) }
        allocation = memory
        base = UnsafeRawPointer(memory)
        byteCount = bytes.count
        owner = nil
    }

    init(viewing bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        // An empty view has no address; point at a harmless one that is never read.
        base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 64)!
        byteCount = bytes.count
        allocation = nil
        self.owner = owner
    }

    deinit { allocation?.deallocate() }
}

import Dispatch

extension GGMLType {
    /// Whether `dequantize(_:elementCount:into:)` handles this type.
    public var isDequantizable: Bool {
        switch self {
        case .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1,
             .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K:
            return true
        default:
            return false
        }
    }

    /// Bytes that `elementCount` elements occupy (whole blocks only).
    public func byteCount(elements elementCount: Int) -> Int {
        elementCount / blockSize * bytesPerBlock
    }

    /// Decodes `elementCount` elements (a multiple of `blockSize`) from `source` into `destination`.
    /// - Precondition: the type `isDequantizable`, `elementCount` is a whole number of blocks and
    ///   `source` holds at least `byteCount(elements:)` bytes.
    public func dequantize(_ source: UnsafeRawBufferPointer, elementCount: Int,
                           into destination: UnsafeMutablePointer<Float>) {
        precondition(isDequantizable, "\(name) has no dequantiser")
        precondition(elementCount % blockSize == 0, "\(elementCount) elements is not a whole number of \(name) blocks")
        precondition(source.count >= byteCount(elements: elementCount),
                     "\(source.count) bytes cannot hold \(elementCount) \(name) elements")
        guard elementCount > 0, let base = source.baseAddress else { return }
        let blocks = elementCount / blockSize
        HalfPrecision.table.withUnsafeBufferPointer { tableBuffer in
            let table = tableBuffer.baseAddress!
            switch self {
            case .f32: FloatFormats.dequantizeF32(base, count: elementCount, into: destination)
            case .f16: FloatFormats.dequantizeF16(base, count: elementCount, into: destination)
            case .bf16: FloatFormats.dequantizeBF16(base, count: elementCount, into: destination)
            case .q4_0: LegacyQuants.dequantizeQ4_0(base, blocks: blocks, into: destination, table: table)
            case .q4_1: LegacyQuants.dequantizeQ4_1(base, blocks: blocks, into: destination, table: table)
            case .q5_0: LegacyQuants.dequantizeQ5_0(base, blocks: blocks, into: destination, table: table)
            case .q5_1: LegacyQuants.dequantizeQ5_1(base, blocks: blocks, into: destination, table: table)
            case .q8_0: LegacyQuants.dequantizeQ8(base, blocks: blocks, stride: 34, quantOffset: 2, into: destination, table: table)
            case .q8_1: LegacyQuants.dequantizeQ8(base, blocks: blocks, stride: 36, quantOffset: 4, into: destination, table: table)
            case .q2_K: KQuants.dequantizeQ2_K(base, blocks: blocks, into: destination, table: table)
            case .q3_K: KQuants.dequantizeQ3_K(base, blocks: blocks, into: destination, table: table)
            case .q4_K: KQuants.dequantizeQ4_K(base, blocks: blocks, into: destination, table: table)
            case .q5_K: KQuants.dequantizeQ5_K(base, blocks: blocks, into: destination, table: table)
            case .q6_K: KQuants.dequantizeQ6_K(base, blocks: blocks, into: destination, table: table)
            case .q8_K: KQuants.dequantizeQ8_K(base, blocks: blocks, into: destination)
            default: preconditionFailure("\(name) has no dequantiser")
            }
        }
    }

    /// As `dequantize(_:elementCount:into:)`, split over threads in whole blocks when the work
    /// is large enough to pay for it. Results are identical to the serial form.
    public func dequantizeConcurrently(_ source: UnsafeRawBufferPointer, elementCount: Int,
                                       into destination: UnsafeMutablePointer<Float>) {
        let blocks = elementCount / blockSize
        let chunkBlocks = max(1, (1 << 18) / blockSize)  // about 256k elements per task
        let chunks = (blocks + chunkBlocks - 1) / chunkBlocks
        guard chunks > 1 else {
            dequantize(source, elementCount: elementCount, into: destination)
            return
        }
        precondition(source.count >= byteCount(elements: elementCount),
                     "\(source.count) bytes cannot hold \(elementCount) \(name) elements")
        nonisolated(unsafe) let output = destination
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let firstBlock = chunk * chunkBlocks
            let blockCount = min(chunkBlocks, blocks - firstBlock)
            let bytes = UnsafeRawBufferPointer(rebasing: source[(firstBlock * bytesPerBlock)..<((firstBlock + blockCount) * bytesPerBlock)])
            dequantize(bytes, elementCount: blockCount * blockSize, into: output + firstBlock * blockSize)
        }
    }
}

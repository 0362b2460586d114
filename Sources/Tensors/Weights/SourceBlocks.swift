// Shapes: N rows, I inputs, O outputs; the weight is (O, I) in Float32 and in the GGUF blocks it
// was dequantised from.

/// The GGUF blocks behind a Float32 `WeightMatrix`: the same numbers, 4–8 times fewer bytes.
struct SourceBlocks: Sendable {
    let storageType: WeightStorageType
    let buffer: WeightBuffer
}

extension WeightMatrix {
    /// This Float32 matrix, with its small products read from `blocks`, the GGUF blocks its
    /// elements were dequantised from: forward products of at most
    /// `WeightKernels.blockMatrixVectorRowLimit` rows (decode, the last-token logits) and backward
    /// products of at most `WeightKernels.matrixVectorRowLimit` (the last-token path's training
    /// steps). Such a product reads 4–8 times fewer bytes and, since the block kernels multiply by
    /// the same numbers (factored per group), equals the Float32 product up to float32 rounding.
    /// Larger products (prefill, batched training) keep using the Float32 elements through sgemm.
    /// - Precondition: this matrix is stored in Float32 and `blocks` is a block-quantised matrix of
    ///   the same shape (the caller dequantised one from the other).
    public func readingBlocksInSmallProducts(_ blocks: WeightMatrix) -> WeightMatrix {
        precondition(storageType == .float32 && blocks.storageType.isBlockQuantized && blocks.shape == shape,
                     "readingBlocksInSmallProducts: \(storageType) \(shape) with \(blocks.storageType) \(blocks.shape) blocks")
        var copy = self
        copy.sourceBlocks = SourceBlocks(storageType: blocks.storageType, buffer: blocks.buffer)
        return copy
    }

    /// The block matrix that small forward products read, when this matrix keeps one.
    public var blocksForSmallProducts: WeightMatrix? {
        sourceBlocks.map { WeightMatrix(outputs: outputs, inputs: inputs, storageType: $0.storageType, buffer: $0.buffer) }
    }
}

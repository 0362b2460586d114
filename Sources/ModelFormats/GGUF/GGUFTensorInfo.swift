/// One entry of a GGUF tensor table, validated against the file it came from.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// GGUF order: ne0 (the contiguous, fastest-varying dimension) first. A PyTorch weight of
    /// shape [out, in] appears here as [in, out].
    public let dimensions: [Int]
    public let type: GGMLType
    /// Byte offset of the data, relative to the start of the file's data section.
    public let offset: Int
    public let elementCount: Int
    public let byteCount: Int

    public init(name: String, dimensions: [Int], type: GGMLType, offset: Int) {
        self.name = name
        self.dimensions = dimensions
        self.type = type
        self.offset = offset
        elementCount = dimensions.reduce(1, *)
        byteCount = elementCount / type.blockSize * type.bytesPerBlock
    }

    /// ne0: the number of elements in one row.
    public var rowLength: Int { dimensions.first ?? 1 }
    /// The number of rows of ne0 elements (the product of the other dimensions).
    public var rowCount: Int { rowLength == 0 ? 0 : elementCount / rowLength }
    /// Bytes of one row on disk.
    public var bytesPerRow: Int { rowLength / type.blockSize * type.bytesPerBlock }
}

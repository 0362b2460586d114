/// Tensor data as Float32. Element order is GGUF order: ne0 fastest, so a matrix with
/// dimensions [ne0, ne1] comes out row-major with ne1 rows of ne0 elements.
extension GGUFFile {
    /// All elements of `info`, ne0 fastest.
    /// - Throws: `unsupportedDequantization` for types without a dequantiser.
    public func dequantize(_ info: GGUFTensorInfo) throws(ModelFormatError) -> [Float] {
        guard info.type.isDequantizable else {
            throw .unsupportedDequantization(path: path, tensor: info.name, type: info.type.name)
        }
        let bytes = rawBytes(of: info)
        return [Float](unsafeUninitializedCapacity: info.elementCount) { buffer, initialized in
            if let base = buffer.baseAddress {
                info.type.dequantizeConcurrently(bytes, elementCount: info.elementCount, into: base)
            }
            initialized = info.elementCount
        }
    }

    /// All elements of the tensor called `name`, ne0 fastest.
    public func dequantize(named name: String) throws(ModelFormatError) -> [Float] {
        try dequantize(tensorInfo(named: name))
    }

    /// Rows `rows` of `info` (a row is ne0 = `info.rowLength` elements) written contiguously to
    /// `destination`, which must have room for `rows.count * info.rowLength` floats.
    /// - Throws: `rowsOutOfRange` when `rows` is not inside `0..<info.rowCount`;
    ///   `unsupportedDequantization` for types without a dequantiser.
    public func dequantizeRows(_ info: GGUFTensorInfo, rows: Range<Int>,
                               into destination: UnsafeMutablePointer<Float>) throws(ModelFormatError) {
        let bytes = try rowBytes(info, rows: rows)
        info.type.dequantize(bytes, elementCount: rows.count * info.rowLength, into: destination)
    }

    /// Rows `rows` of `info` as a new array of `rows.count * info.rowLength` floats.
    public func dequantizeRows(_ info: GGUFTensorInfo, rows: Range<Int>) throws(ModelFormatError) -> [Float] {
        let bytes = try rowBytes(info, rows: rows)
        let count = rows.count * info.rowLength
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress {
                info.type.dequantize(bytes, elementCount: count, into: base)
            }
            initialized = count
        }
    }

    /// The bytes of rows `rows`, after checking the range and the type.
    private func rowBytes(_ info: GGUFTensorInfo, rows: Range<Int>) throws(ModelFormatError) -> UnsafeRawBufferPointer {
        guard rows.lowerBound >= 0, rows.upperBound <= info.rowCount else {
            throw .rowsOutOfRange(path: path, tensor: info.name, rows: rows, rowCount: info.rowCount)
        }
        guard info.type.isDequantizable else {
            throw .unsupportedDequantization(path: path, tensor: info.name, type: info.type.name)
        }
        let all = rawBytes(of: info)
        return UnsafeRawBufferPointer(rebasing: all[(rows.lowerBound * info.bytesPerRow)..<(rows.upperBound * info.bytesPerRow)])
    }
}

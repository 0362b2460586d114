import Foundation

/// One tensor entry of a safetensors header, validated against its file.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    /// Row-major (PyTorch) order: the last dimension is contiguous.
    public let shape: [Int]
    /// Absolute byte range inside the file.
    public let byteRange: Range<Int>

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A memory-mapped safetensors file: u64 little-endian header length N, N bytes of JSON
/// (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}`, offsets
/// relative to the end of the header), then the data.
public final class SafetensorsFile: @unchecked Sendable {
    public let url: URL
    public let tensors: [String: SafetensorsTensorInfo]
    /// The `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    /// Tensor names sorted by their position in the file.
    public let tensorNames: [String]

    private let file: MappedFile

    public var path: String { file.path }

    public init(contentsOf url: URL) throws(ModelFormatError) {
        self.url = url
        let file = try MappedFile(path: url.path)
        self.file = file
        let path = file.path
        var cursor = ByteCursor(file: file)
        let headerLength = try cursor.read(UInt64.self, "safetensors header length")
        guard headerLength <= UInt64(cursor.bytesLeft) else {
            throw .invalidHeader(path: path, reason: "header length \(headerLength) runs past the end of the file (\(file.count) bytes)")
        }
        let dataStart = 8 + Int(headerLength)
        let dataSize = file.count - dataStart
        let headerBytes = Data(file.bytes(8..<dataStart))

        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerBytes, options: [])
        } catch {
            throw .invalidHeader(path: path, reason: "bad JSON (\(error.localizedDescription))")
        }
        guard let entries = json as? [String: Any] else {
            throw .invalidHeader(path: path, reason: "the header is not a JSON object")
        }

        var metadata: [String: String] = [:]
        var tensors: [String: SafetensorsTensorInfo] = [:]
        for (name, value) in entries {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else {
                    throw .invalidHeader(path: path, reason: "__metadata__ is not an object")
                }
                for (key, item) in map {
                    if let text = item as? String { metadata[key] = text }
                }
                continue
            }
            tensors[name] = try Self.parseEntry(name: name, value: value, path: path,
                                                dataStart: dataStart, dataSize: dataSize)
        }

        let ordered = tensors.values.sorted {
            ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name) < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name)
        }
        var previous: SafetensorsTensorInfo?
        for info in ordered where !info.byteRange.isEmpty {
            if let previous, info.byteRange.lowerBound < previous.byteRange.upperBound {
                throw .overlappingTensors(path: path, first: previous.name, second: info.name)
            }
            previous = info
        }
        self.tensors = tensors
        self.metadata = metadata
        tensorNames = ordered.map(\.name)
    }

    private static func parseEntry(name: String, value: Any, path: String,
                                   dataStart: Int, dataSize: Int) throws(ModelFormatError) -> SafetensorsTensorInfo {
        guard let entry = value as? [String: Any] else {
            throw .invalidHeader(path: path, reason: "entry '\(name)' is not an object")
        }
        guard let dtypeName = entry["dtype"] as? String else {
            throw .invalidHeader(path: path, reason: "entry '\(name)' has no dtype string")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw .unknownDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard let shape = nonNegativeInts(entry["shape"]) else {
            throw .invalidHeader(path: path, reason: "entry '\(name)' has no shape of non-negative integers")
        }
        guard let offsets = nonNegativeInts(entry["data_offsets"]), offsets.count == 2, offsets[0] <= offsets[1] else {
            throw .invalidHeader(path: path, reason: "entry '\(name)' needs data_offsets [begin, end] with begin <= end")
        }
        guard offsets[1] <= dataSize else {
            throw .tensorOutOfBounds(path: path, tensor: name, start: UInt64(dataStart) + UInt64(offsets[0]),
                                     end: UInt64(dataStart) + UInt64(offsets[1]), fileSize: dataStart + dataSize)
        }
        var expected = dtype.size
        for dimension in shape {
            let (product, overflow) = expected.multipliedReportingOverflow(by: dimension)
            guard !overflow else {
                throw .invalidHeader(path: path, reason: "entry '\(name)' has shape \(shape) whose size overflows")
            }
            expected = product
        }
        let found = offsets[1] - offsets[0]
        guard expected == found else {
            throw .byteCountMismatch(path: path, tensor: name, expected: expected, found: found)
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape,
                                     byteRange: (dataStart + offsets[0])..<(dataStart + offsets[1]))
    }

    /// JSON arrays of integers come back as NSNumber; fractions and negatives are refused.
    private static func nonNegativeInts(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        result.reserveCapacity(array.count)
        for item in array {
            // `as? Int` succeeds only for exactly representable integers (not 2.5, not 1e30).
            guard let integer = item as? Int, integer >= 0 else { return nil }
            result.append(integer)
        }
        return result
    }

    /// The entry for `name`.
    /// - Throws: `missingTensor` naming the tensor and the file.
    public func info(named name: String) throws(ModelFormatError) -> SafetensorsTensorInfo {
        guard let info = tensors[name] else { throw .missingTensor(path: path, tensor: name) }
        return info
    }

    /// The tensor's bytes inside the mapping; valid while this object is alive.
    /// - Precondition: `info` comes from this file.
    public func rawBytes(of info: SafetensorsTensorInfo) -> UnsafeRawBufferPointer {
        file.bytes(info.byteRange)
    }

    /// The tensor's elements converted to Float, in file (row-major) order.
    /// - Throws: `missingTensor`, or `notFloatingPoint` for integer dtypes.
    public func floats(named name: String) throws(ModelFormatError) -> [Float] {
        try floats(of: info(named: name))
    }

    /// The elements of an integer or bool tensor as Int, in file (row-major) order. U64 values
    /// above Int.max wrap (bit pattern kept).
    /// - Throws: `missingTensor`, or `notInteger` for floating-point dtypes.
    public func ints(named name: String) throws(ModelFormatError) -> [Int] {
        let info = try info(named: name)
        let bytes = rawBytes(of: info)
        let count = info.elementCount
        guard let base = bytes.baseAddress, count > 0 else {
            if info.dtype.isFloatingPoint { throw .notInteger(path: path, tensor: name, dtype: info.dtype.rawValue) }
            return []
        }
        switch info.dtype {
        case .i8: return (0..<count).map { Int(base.loadUnaligned(fromByteOffset: $0, as: Int8.self)) }
        case .u8, .bool: return (0..<count).map { Int(base.loadUnaligned(fromByteOffset: $0, as: UInt8.self)) }
        case .i16: return (0..<count).map { Int(Int16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self))) }
        case .u16: return (0..<count).map { Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        case .i32: return (0..<count).map { Int(Int32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
        case .u32: return (0..<count).map { Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        case .i64: return (0..<count).map { Int(Int64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) }
        case .u64: return (0..<count).map { Int(truncatingIfNeeded: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }
        case .f64, .f32, .f16, .bf16: throw .notInteger(path: path, tensor: name, dtype: info.dtype.rawValue)
        }
    }

    /// The elements of `info` converted to Float, in file (row-major) order.
    public func floats(of info: SafetensorsTensorInfo) throws(ModelFormatError) -> [Float] {
        guard info.dtype.isFloatingPoint else {
            throw .notFloatingPoint(path: path, tensor: info.name, dtype: info.dtype.rawValue)
        }
        let bytes = rawBytes(of: info)
        let count = info.elementCount
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0, let source = bytes.baseAddress, let destination = buffer.baseAddress {
                switch info.dtype {
                case .f32: FloatFormats.dequantizeF32(source, count: count, into: destination)
                case .f16: FloatFormats.dequantizeF16(source, count: count, into: destination)
                case .bf16: FloatFormats.dequantizeBF16(source, count: count, into: destination)
                case .f64:
                    for i in 0..<count {
                        destination[i] = Float(Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                    }
                default: break
                }
            }
            initialized = count
        }
    }
}

import Foundation

/// A memory-mapped GGUF file (versions 2 and 3): header, metadata, tensor table, and access to
/// the tensor bytes. Construction validates everything that later access relies on: every
/// tensor's bytes lie inside the file, offsets are aligned, shapes do not overflow.
///
/// Layout (little-endian): magic "GGUF", u32 version, u64 tensor count, u64 metadata count,
/// metadata (string key, u32 type, value)*, tensor infos (string name, u32 n_dims, u64 ne[n_dims],
/// u32 type, u64 offset)*, padding to `general.alignment`, data.
public final class GGUFFile: @unchecked Sendable {
    public let url: URL
    public let version: Int
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// File order.
    public let tensors: [GGUFTensorInfo]
    /// `general.alignment`, 32 when absent.
    public let alignment: Int
    /// Absolute byte offset of the data section (aligned).
    public let dataOffset: Int

    let file: MappedFile
    private let tensorIndex: [String: Int]

    static let magic: UInt32 = 0x4655_4747  // "GGUF" read as a little-endian u32
    static let defaultAlignment = 32
    static let maximumDimensions = 4
    static let maximumNesting = 8
    /// Counts are checked against the bytes left, but one GGUFValue takes more memory than its
    /// smallest encoding (24 bytes against 1 for a uint8), so up-front reservations are capped
    /// too; beyond the cap, storage grows only with elements actually read.
    static let maximumReservation = 1 << 16

    public var path: String { file.path }
    /// Size of the file in bytes.
    public var fileSize: Int { file.count }

    public convenience init(contentsOf url: URL) throws(ModelFormatError) {
        try self.init(file: MappedFile(path: url.path), url: url)
    }

    init(file: MappedFile, url: URL) throws(ModelFormatError) {
        self.file = file
        self.url = url
        let path = file.path
        var cursor = ByteCursor(file: file)

        let magic = try cursor.read(UInt32.self, "magic")
        guard magic == Self.magic else { throw .badMagic(path: path, found: magic) }
        let rawVersion = try cursor.read(UInt32.self, "version")
        guard rawVersion == 2 || rawVersion == 3 else { throw .unsupportedVersion(path: path, version: rawVersion) }
        version = Int(rawVersion)
        let rawTensorCount = try cursor.read(UInt64.self, "tensor count")
        let rawMetadataCount = try cursor.read(UInt64.self, "metadata count")
        // Smallest metadata entry: empty key (8) + type (4) + one byte; smallest tensor info:
        // empty name (8) + n_dims (4) + type (4) + offset (8).
        let metadataCount = try cursor.checkCount(rawMetadataCount, minimumSize: 13, "metadata count")
        let tensorCount = try cursor.checkCount(rawTensorCount, minimumSize: 24, "tensor count")

        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        metadata.reserveCapacity(min(metadataCount, Self.maximumReservation))
        keys.reserveCapacity(min(metadataCount, Self.maximumReservation))
        for index in 0..<metadataCount {
            let key = try cursor.readString("metadata key #\(index)")
            let rawType = try cursor.read(UInt32.self, "type of metadata key '\(key)'")
            let value = try Self.readValue(rawType: rawType, key: key, depth: 0, cursor: &cursor)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw .duplicateName(path: path, what: "metadata key", name: key)
            }
            keys.append(key)
        }
        self.metadata = metadata
        metadataKeys = keys

        var alignment = Self.defaultAlignment
        if let value = metadata["general.alignment"] {
            guard case .uint32(let raw) = value, raw > 0, raw & (raw - 1) == 0 else {
                throw .invalidAlignment(path: path, value: "\(value)")
            }
            alignment = Int(raw)
        }
        self.alignment = alignment

        var tensors: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        tensors.reserveCapacity(min(tensorCount, Self.maximumReservation))
        index.reserveCapacity(min(tensorCount, Self.maximumReservation))
        var rawOffsets: [UInt64] = []
        rawOffsets.reserveCapacity(min(tensorCount, Self.maximumReservation))
        for number in 0..<tensorCount {
            let (info, rawOffset) = try Self.readTensorInfo(number: number, alignment: alignment, cursor: &cursor)
            guard index.updateValue(tensors.count, forKey: info.name) == nil else {
                throw .duplicateName(path: path, what: "tensor", name: info.name)
            }
            tensors.append(info)
            rawOffsets.append(rawOffset)
        }

        let dataOffset = (cursor.offset + alignment - 1) / alignment * alignment
        for (info, rawOffset) in zip(tensors, rawOffsets) {
            let start = UInt64(dataOffset) + rawOffset  // rawOffset <= Int.max, checked when read
            let (end, overflow) = start.addingReportingOverflow(UInt64(info.byteCount))
            guard !overflow, end <= UInt64(file.count) else {
                throw .tensorOutOfBounds(path: path, tensor: info.name, start: start,
                                         end: overflow ? .max : end, fileSize: file.count)
            }
        }
        self.dataOffset = dataOffset
        self.tensors = tensors
        tensorIndex = index
    }

    /// The entry for `name`.
    /// - Throws: `ModelFormatError.missingTensor` naming the tensor and the file.
    public func tensorInfo(named name: String) throws(ModelFormatError) -> GGUFTensorInfo {
        guard let position = tensorIndex[name] else { throw .missingTensor(path: path, tensor: name) }
        return tensors[position]
    }

    /// Whether the file has a tensor called `name`.
    public func hasTensor(named name: String) -> Bool { tensorIndex[name] != nil }

    /// The tensor's bytes inside the mapping; valid while this object is alive.
    /// - Precondition: `info` comes from this file.
    public func rawBytes(of info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        file.bytes((dataOffset + info.offset)..<(dataOffset + info.offset + info.byteCount))
    }

    // MARK: Parsing

    private static func readValue(rawType: UInt32, key: String, depth: Int,
                                  cursor: inout ByteCursor) throws(ModelFormatError) -> GGUFValue {
        switch rawType {
        case 0: return .uint8(try cursor.read(UInt8.self, "value of '\(key)'"))
        case 1: return .int8(try cursor.read(Int8.self, "value of '\(key)'"))
        case 2: return .uint16(try cursor.read(UInt16.self, "value of '\(key)'"))
        case 3: return .int16(try cursor.read(Int16.self, "value of '\(key)'"))
        case 4: return .uint32(try cursor.read(UInt32.self, "value of '\(key)'"))
        case 5: return .int32(try cursor.read(Int32.self, "value of '\(key)'"))
        case 6: return .float32(try cursor.readFloat("value of '\(key)'"))
        case 7: return .bool(try cursor.read(UInt8.self, "value of '\(key)'") != 0)
        case 8: return .string(try cursor.readString("value of '\(key)'"))
        case 9: return try readArray(key: key, depth: depth + 1, cursor: &cursor)
        case 10: return .uint64(try cursor.read(UInt64.self, "value of '\(key)'"))
        case 11: return .int64(try cursor.read(Int64.self, "value of '\(key)'"))
        case 12: return .float64(try cursor.readDouble("value of '\(key)'"))
        default: throw .unknownValueType(path: cursor.file.path, key: key, rawType: rawType)
        }
    }

    /// Smallest encoding of one element of each value type, used to refuse lying array lengths.
    private static func minimumSize(ofType rawType: UInt32) -> Int? {
        switch rawType {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 8: return 8        // u64 length of an empty string
        case 9: return 12       // u32 type + u64 count of an empty array
        case 10, 11, 12: return 8
        default: return nil
        }
    }

    private static func readArray(key: String, depth: Int,
                                  cursor: inout ByteCursor) throws(ModelFormatError) -> GGUFValue {
        guard depth <= maximumNesting else {
            throw .nestingTooDeep(path: cursor.file.path, key: key, depth: maximumNesting)
        }
        let elementType = try cursor.read(UInt32.self, "element type of '\(key)'")
        let rawCount = try cursor.read(UInt64.self, "length of '\(key)'")
        guard let size = minimumSize(ofType: elementType) else {
            throw .unknownValueType(path: cursor.file.path, key: key, rawType: elementType)
        }
        let count = try cursor.checkCount(rawCount, minimumSize: size, "length of array '\(key)'")
        var elements: [GGUFValue] = []
        elements.reserveCapacity(min(count, maximumReservation))
        if elementType == 8 {
            // The hot case: vocabularies of 50k–262k strings.
            for _ in 0..<count { elements.append(.string(try cursor.readString("element of '\(key)'"))) }
        } else {
            for _ in 0..<count {
                elements.append(try readValue(rawType: elementType, key: key, depth: depth, cursor: &cursor))
            }
        }
        return .array(elements)
    }

    private static func readTensorInfo(number: Int, alignment: Int,
                                       cursor: inout ByteCursor) throws(ModelFormatError) -> (GGUFTensorInfo, UInt64) {
        let path = cursor.file.path
        let name = try cursor.readString("name of tensor #\(number)")
        let rawDimensionCount = try cursor.read(UInt32.self, "dimension count of tensor '\(name)'")
        guard rawDimensionCount <= maximumDimensions else {
            throw .invalidTensorShape(path: path, tensor: name, dimensions: [],
                                      reason: "\(rawDimensionCount) dimensions, at most \(maximumDimensions) allowed")
        }
        var rawDimensions: [UInt64] = []
        for _ in 0..<Int(rawDimensionCount) {
            rawDimensions.append(try cursor.read(UInt64.self, "dimensions of tensor '\(name)'"))
        }
        let rawType = try cursor.read(UInt32.self, "type of tensor '\(name)'")
        let rawOffset = try cursor.read(UInt64.self, "offset of tensor '\(name)'")
        guard let type = GGMLType(rawValue: rawType) else {
            throw .unknownTensorType(path: path, tensor: name, rawType: rawType)
        }

        var elementCount = 1
        var dimensions: [Int] = []
        for raw in rawDimensions {
            guard let dimension = Int(exactly: raw) else {
                throw .invalidTensorShape(path: path, tensor: name, dimensions: rawDimensions, reason: "a dimension exceeds Int.max")
            }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
            guard !overflow else {
                throw .invalidTensorShape(path: path, tensor: name, dimensions: rawDimensions,
                                          reason: "element count overflows")
            }
            elementCount = product
            dimensions.append(dimension)
        }
        let rowLength = dimensions.first ?? 1
        guard rowLength % type.blockSize == 0 else {
            throw .invalidTensorShape(path: path, tensor: name, dimensions: rawDimensions,
                                      reason: "ne0 \(rowLength) is not a multiple of the \(type.name) block size \(type.blockSize)")
        }
        let (byteCount, byteOverflow) = (elementCount / type.blockSize).multipliedReportingOverflow(by: type.bytesPerBlock)
        guard !byteOverflow, rawOffset <= UInt64(Int.max - byteCount) else {
            throw .tensorOutOfBounds(path: path, tensor: name, start: rawOffset, end: .max, fileSize: cursor.file.count)
        }
        guard rawOffset % UInt64(alignment) == 0 else {
            throw .misalignedTensor(path: path, tensor: name, offset: rawOffset, alignment: alignment)
        }
        return (GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: Int(rawOffset)), rawOffset)
    }
}

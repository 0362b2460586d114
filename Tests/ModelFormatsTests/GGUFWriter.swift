import Foundation
import ModelFormats
import TestSupport

/// Little-endian byte builder for hand-made (and deliberately broken) files.
struct ByteBuilder {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        u64(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }
    mutating func pad(to alignment: Int) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }
}

/// Writes GGUF files for tests. Every field can be overridden to produce a broken file.
struct GGUFWriter {
    /// A metadata value: a well-formed one, or raw bytes after an arbitrary type code.
    enum Value {
        case value(GGUFValue)
        case raw(type: UInt32, bytes: [UInt8])
    }

    struct Tensor {
        var name: String
        var dimensions: [UInt64]
        var type: UInt32
        var data: [UInt8]
        /// Offset relative to the data section; nil places the tensor after the previous one,
        /// aligned.
        var offset: UInt64? = nil
    }

    var magic: UInt32 = 0x4655_4747
    var version: UInt32 = 3
    var metadata: [(key: String, value: Value)] = []
    var tensors: [Tensor] = []
    /// Padding used for the data section and for automatic offsets (GGUF default 32).
    var alignment = 32
    var tensorCountOverride: UInt64? = nil
    var metadataCountOverride: UInt64? = nil
    /// Cut the file to this many bytes (after building).
    var truncateTo: Int? = nil

    mutating func add(_ key: String, _ value: GGUFValue) { metadata.append((key, .value(value))) }

    mutating func addTensor(_ name: String, dimensions: [Int], type: GGMLType, data: [UInt8], offset: UInt64? = nil) {
        tensors.append(Tensor(name: name, dimensions: dimensions.map(UInt64.init), type: type.rawValue, data: data, offset: offset))
    }

    static func typeCode(_ value: GGUFValue) -> UInt32 {
        switch value {
        case .uint8: return 0
        case .int8: return 1
        case .uint16: return 2
        case .int16: return 3
        case .uint32: return 4
        case .int32: return 5
        case .float32: return 6
        case .bool: return 7
        case .string: return 8
        case .array: return 9
        case .uint64: return 10
        case .int64: return 11
        case .float64: return 12
        }
    }

    /// The payload of a value (without its type code).
    static func encode(_ value: GGUFValue, into b: inout ByteBuilder) {
        switch value {
        case .uint8(let v): b.u8(v)
        case .int8(let v): b.u8(UInt8(bitPattern: v))
        case .uint16(let v): b.u16(v)
        case .int16(let v): b.u16(UInt16(bitPattern: v))
        case .uint32(let v): b.u32(v)
        case .int32(let v): b.u32(UInt32(bitPattern: v))
        case .float32(let v): b.f32(v)
        case .bool(let v): b.u8(v ? 1 : 0)
        case .string(let v): b.string(v)
        case .uint64(let v): b.u64(v)
        case .int64(let v): b.u64(UInt64(bitPattern: v))
        case .float64(let v): b.f64(v)
        case .array(let elements):
            b.u32(elements.first.map(typeCode) ?? 4)
            b.u64(UInt64(elements.count))
            for element in elements { encode(element, into: &b) }
        }
    }

    func bytes() -> [UInt8] {
        var b = ByteBuilder()
        b.u32(magic)
        b.u32(version)
        b.u64(tensorCountOverride ?? UInt64(tensors.count))
        b.u64(metadataCountOverride ?? UInt64(metadata.count))
        for (key, value) in metadata {
            b.string(key)
            switch value {
            case .value(let v):
                b.u32(Self.typeCode(v))
                Self.encode(v, into: &b)
            case .raw(let type, let raw):
                b.u32(type)
                b.bytes.append(contentsOf: raw)
            }
        }
        var offsets: [UInt64] = []
        var next: UInt64 = 0
        for tensor in tensors {
            let offset = tensor.offset ?? next
            offsets.append(offset)
            guard offset < 1 << 32 else { continue }  // a lying offset: its data is not written
            let end = Int(offset) + tensor.data.count
            next = UInt64((end + alignment - 1) / alignment * alignment)
        }
        for (tensor, offset) in zip(tensors, offsets) {
            b.string(tensor.name)
            b.u32(UInt32(tensor.dimensions.count))
            for dimension in tensor.dimensions { b.u64(dimension) }
            b.u32(tensor.type)
            b.u64(offset)
        }
        if !tensors.isEmpty {
            b.pad(to: alignment)
            let dataStart = b.bytes.count
            for (tensor, offset) in zip(tensors, offsets) where offset < 1 << 32 {
                let start = dataStart + Int(offset)
                if b.bytes.count < start + tensor.data.count {
                    b.bytes.append(contentsOf: [UInt8](repeating: 0, count: start + tensor.data.count - b.bytes.count))
                }
                b.bytes.replaceSubrange(start..<(start + tensor.data.count), with: tensor.data)
            }
        }
        if let truncateTo { return Array(b.bytes.prefix(truncateTo)) }
        return b.bytes
    }
}

/// A fresh temporary directory per test, removed when the value is released.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ModelFormatsTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` to `name` inside the directory and returns its URL.
    func write(_ bytes: [UInt8], named name: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file
    }

    func write(_ writer: GGUFWriter, named name: String = "test.gguf") throws -> URL {
        try write(writer.bytes(), named: name)
    }
}


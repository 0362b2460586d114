import Foundation

/// Writes a safetensors file from raw little-endian element bytes of any dtype, for tests that
/// need dtypes the project's writer does not produce (BF16, F16, F64). Data offsets follow the
/// order given; the header is padded with spaces to a multiple of 8 bytes.
public enum SafetensorsBytes {
    public struct Entry {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        public var bytes: [UInt8]
        public init(name: String, dtype: String, shape: [Int], bytes: [UInt8]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }
    }

    public static func write(_ entries: [Entry], to url: URL) throws {
        var fields: [String] = []
        var offset = 0
        for e in entries {
            let shape = e.shape.map(String.init).joined(separator: ",")
            fields.append("\"\(e.name)\":{\"dtype\":\"\(e.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + e.bytes.count)]}")
            offset += e.bytes.count
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var data = Data()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for e in entries { data.append(contentsOf: e.bytes) }
        try data.write(to: url)
    }

    /// Little-endian bytes of 16-bit bit patterns.
    public static func bytes(_ bits: [UInt16]) -> [UInt8] {
        bits.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
    }

    /// Little-endian bytes of Float32 values.
    public static func bytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) } }
    }

    /// Little-endian bytes of Float64 values.
    public static func bytes(_ values: [Double]) -> [UInt8] {
        values.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) } }
    }
}

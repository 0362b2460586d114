/// IEEE half and bfloat16 conversions. Half → Float goes through a 65,536-entry table (256 KiB,
/// built once) because block scales and F16 tensors convert millions of values.
enum HalfPrecision {
    static let table: [Float] = (0..<65_536).map { Float(Float16(bitPattern: UInt16($0))) }

    @inline(__always)
    static func float(fromHalfBits bits: UInt16, table: UnsafePointer<Float>) -> Float {
        table[Int(bits)]
    }

    @inline(__always)
    static func float(fromBFloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}

/// Little-endian loads from unaligned block bytes.
extension UnsafeRawPointer {
    @inline(__always)
    func loadUInt16(at offset: Int) -> UInt16 {
        UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    func loadUInt32(at offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}

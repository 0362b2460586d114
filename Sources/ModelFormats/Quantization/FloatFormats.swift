/// Unquantised element types: F32, F16, BF16 (block size 1).
enum FloatFormats {
    static func dequantizeF32(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        #if _endian(little)
        UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
        #else
        for i in 0..<count { destination[i] = Float(bitPattern: source.loadUInt32(at: 4 * i)) }
        #endif
    }

    static func dequantizeF16(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        HalfPrecision.table.withUnsafeBufferPointer { table in
            let table = table.baseAddress!
            for i in 0..<count { destination[i] = table[Int(source.loadUInt16(at: 2 * i))] }
        }
    }

    static func dequantizeBF16(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        for i in 0..<count { destination[i] = HalfPrecision.float(fromBFloat16Bits: source.loadUInt16(at: 2 * i)) }
    }
}

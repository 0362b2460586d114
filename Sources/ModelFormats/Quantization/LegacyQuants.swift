/// The 32-element block formats: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1.
///
/// Nibble order in all 4- and 5-bit formats: byte j holds element j in its low nibble and
/// element j + 16 in its high nibble. In Q5 formats bit j of the u32 `qh` is the fifth bit of
/// element j (j < 32).
enum LegacyQuants {
    /// Q4_0: f16 d, 16 bytes; x = d * (q - 8).
    static func dequantizeQ4_0(_ source: UnsafeRawPointer, blocks: Int, into y: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>) {
        for b in 0..<blocks {
            let block = source + b * 18
            let d = table[Int(block.loadUInt16(at: 0))]
            let qs = block.assumingMemoryBound(to: UInt8.self) + 2
            let out = y + b * 32
            for j in 0..<16 {
                out[j] = Float(Int32(qs[j] & 0x0F) - 8) * d
                out[j + 16] = Float(Int32(qs[j] >> 4) - 8) * d
            }
        }
    }

    /// Q4_1: f16 d, f16 m, 16 bytes; x = d * q + m.
    static func dequantizeQ4_1(_ source: UnsafeRawPointer, blocks: Int, into y: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>) {
        for b in 0..<blocks {
            let block = source + b * 20
            let d = table[Int(block.loadUInt16(at: 0))]
            let m = table[Int(block.loadUInt16(at: 2))]
            let qs = block.assumingMemoryBound(to: UInt8.self) + 4
            let out = y + b * 32
            for j in 0..<16 {
                out[j] = Float(qs[j] & 0x0F) * d + m
                out[j + 16] = Float(qs[j] >> 4) * d + m
            }
        }
    }

    /// Q5_0: f16 d, u32 qh, 16 bytes; x = d * (q - 16) with q 5 bits.
    static func dequantizeQ5_0(_ source: UnsafeRawPointer, blocks: Int, into y: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>) {
        for b in 0..<blocks {
            let block = source + b * 22
            let d = table[Int(block.loadUInt16(at: 0))]
            let qh = block.loadUInt32(at: 2)
            let qs = block.assumingMemoryBound(to: UInt8.self) + 6
            let out = y + b * 32
            for j in 0..<16 {
                let high0 = Int32((qh >> UInt32(j)) & 1) << 4
                let high1 = Int32((qh >> UInt32(j + 16)) & 1) << 4
                out[j] = Float((Int32(qs[j] & 0x0F) | high0) - 16) * d
                out[j + 16] = Float((Int32(qs[j] >> 4) | high1) - 16) * d
            }
        }
    }

    /// Q5_1: f16 d, f16 m, u32 qh, 16 bytes; x = d * q + m with q 5 bits.
    static func dequantizeQ5_1(_ source: UnsafeRawPointer, blocks: Int, into y: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>) {
        for b in 0..<blocks {
            let block = source + b * 24
            let d = table[Int(block.loadUInt16(at: 0))]
            let m = table[Int(block.loadUInt16(at: 2))]
            let qh = block.loadUInt32(at: 4)
            let qs = block.assumingMemoryBound(to: UInt8.self) + 8
            let out = y + b * 32
            for j in 0..<16 {
                let high0 = UInt32((qh >> UInt32(j)) & 1) << 4
                let high1 = UInt32((qh >> UInt32(j + 16)) & 1) << 4
                out[j] = Float(UInt32(qs[j] & 0x0F) | high0) * d + m
                out[j + 16] = Float(UInt32(qs[j] >> 4) | high1) * d + m
            }
        }
    }

    /// Q8_0 (f16 d, 32 int8) and Q8_1 (f16 d, f16 sum, 32 int8): x = d * q. `stride` is the block
    /// size in bytes and `quantOffset` where the int8 values start.
    static func dequantizeQ8(_ source: UnsafeRawPointer, blocks: Int, stride: Int, quantOffset: Int,
                             into y: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>) {
        for b in 0..<blocks {
            let block = source + b * stride
            let d = table[Int(block.loadUInt16(at: 0))]
            let qs = (block + quantOffset).assumingMemoryBound(to: Int8.self)
            let out = y + b * 32
            for j in 0..<32 { out[j] = Float(qs[j]) * d }
        }
    }
}

/// The 256-element super-block formats: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K.
///
/// Element order inside a super-block follows ggml's `dequantize_row_q*_K`: the block is walked
/// in chunks of 128 (Q2_K, Q3_K, Q6_K) or 64 (Q4_K, Q5_K) elements, each chunk taking its bits
/// from one slice of the packed bytes at successive shifts.
enum KQuants {
    /// Q4_K / Q5_K pack 8 six-bit scales and 8 six-bit mins into 12 bytes: sub-blocks 0–3 use
    /// the low 6 bits of bytes 0–3 (scales) and 4–7 (mins); sub-blocks 4–7 take their low 4 bits
    /// from bytes 8–11 and their high 2 bits from the top bits of bytes 0–7.
    @inline(__always)
    static func scaleAndMin(_ j: Int, _ q: UnsafePointer<UInt8>) -> (scale: UInt8, min: UInt8) {
        if j < 4 {
            return (q[j] & 63, q[j + 4] & 63)
        }
        return ((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
    }

    /// Q2_K (84 bytes): scales[16] (low nibble scale, high nibble min, per 16 elements),
    /// qs[64] (2-bit quants), f16 d, f16 dmin; x = d * scale * q - dmin * min.
    static func dequantizeQ2_K(_ source: UnsafeRawPointer, blocks: Int, into y: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>) {
        for b in 0..<blocks {
            let block = source + b * 84
            let scales = block.assumingMemoryBound(to: UInt8.self)
            var q = scales + 16
            let d = table[Int(block.loadUInt16(at: 80))]
            let dmin = table[Int(block.loadUInt16(at: 82))]
            var out = y + b * 256
            var subBlock = 0
            for _ in 0..<2 {
                for shift in stride(from: UInt8(0), to: 8, by: 2) {
                    for half in 0..<2 {
                        let sc = scales[subBlock]
                        subBlock += 1
                        let dl = d * Float(sc & 0x0F)
                        let ml = dmin * Float(sc >> 4)
                        let qq = q + 16 * half
                        for l in 0..<16 { out[l] = dl * Float((qq[l] >> shift) & 3) - ml }
                        out += 16
                    }
                }
                q += 32
            }
        }
    }

    /// Q3_K (110 bytes): hmask[32] (high bit), qs[64] (low 2 bits), scales[12] (16 six-bit
    /// scales biased by 32), f16 d; x = d * (scale - 32) * (q - 4), q 3 bits.
    static func dequantizeQ3_K(_ source: UnsafeRawPointer, blocks: Int, into y: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>) {
        var scales = (Int8(0), Int8(0), Int8(0), Int8(0), Int8(0), Int8(0), Int8(0), Int8(0),
                      Int8(0), Int8(0), Int8(0), Int8(0), Int8(0), Int8(0), Int8(0), Int8(0))
        withUnsafeMutableBytes(of: &scales) { scaleBytes in
            let unpacked = scaleBytes.baseAddress!.assumingMemoryBound(to: Int8.self)
            for b in 0..<blocks {
                let block = source + b * 110
                let hmask = block.assumingMemoryBound(to: UInt8.self)
                var q = hmask + 32
                let packed = hmask + 96
                let d = table[Int(block.loadUInt16(at: 108))]
                // Scale j: low 4 bits from byte j (j < 8, low nibble) or byte j - 8 (high
                // nibble); high 2 bits from byte 8 + j % 4 at shift 2 * (j / 4).
                for j in 0..<16 {
                    let low = j < 8 ? packed[j] & 0x0F : packed[j - 8] >> 4
                    let high = (packed[8 + j % 4] >> UInt8(2 * (j / 4))) & 3
                    unpacked[j] = Int8(low | (high << 4)) - 32
                }
                var out = y + b * 256
                var subBlock = 0
                var mask: UInt8 = 1
                for _ in 0..<2 {
                    for shift in stride(from: UInt8(0), to: 8, by: 2) {
                        for half in 0..<2 {
                            let dl = d * Float(unpacked[subBlock])
                            subBlock += 1
                            let qq = q + 16 * half
                            let hm = hmask + 16 * half
                            for l in 0..<16 {
                                let value = Int32((qq[l] >> shift) & 3) - ((hm[l] & mask) != 0 ? 0 : 4)
                                out[l] = dl * Float(value)
                            }
                            out += 16
                        }
                        mask <<= 1
                    }
                    q += 32
                }
            }
        }
    }

    /// Q4_K (144 bytes): f16 d, f16 dmin, scales[12], qs[128]; per 64 elements, the low
    /// nibbles of 32 bytes give the first 32 and the high nibbles the next 32;
    /// x = d * scale * q - dmin * min.
    static func dequantizeQ4_K(_ source: UnsafeRawPointer, blocks: Int, into y: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>) {
        for b in 0..<blocks {
            let block = source + b * 144
            let d = table[Int(block.loadUInt16(at: 0))]
            let dmin = table[Int(block.loadUInt16(at: 2))]
            let packed = (block + 4).assumingMemoryBound(to: UInt8.self)
            var q = packed + 12
            var out = y + b * 256
            for chunk in 0..<4 {
                let (s1, m1) = scaleAndMin(2 * chunk, packed)
                let (s2, m2) = scaleAndMin(2 * chunk + 1, packed)
                let d1 = d * Float(s1), min1 = dmin * Float(m1)
                let d2 = d * Float(s2), min2 = dmin * Float(m2)
                for l in 0..<32 { out[l] = d1 * Float(q[l] & 0x0F) - min1 }
                for l in 0..<32 { out[32 + l] = d2 * Float(q[l] >> 4) - min2 }
                q += 32
                out += 64
            }
        }
    }

    /// Q5_K (176 bytes): f16 d, f16 dmin, scales[12], qh[32], qs[128]; as Q4_K with a fifth
    /// bit per element from qh (bits 2c and 2c + 1 for chunk c).
    static func dequantizeQ5_K(_ source: UnsafeRawPointer, blocks: Int, into y: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>) {
        for b in 0..<blocks {
            let block = source + b * 176
            let d = table[Int(block.loadUInt16(at: 0))]
            let dmin = table[Int(block.loadUInt16(at: 2))]
            let packed = (block + 4).assumingMemoryBound(to: UInt8.self)
            let qh = packed + 12
            var ql = packed + 44
            var out = y + b * 256
            var u1: UInt8 = 1, u2: UInt8 = 2
            for chunk in 0..<4 {
                let (s1, m1) = scaleAndMin(2 * chunk, packed)
                let (s2, m2) = scaleAndMin(2 * chunk + 1, packed)
                let d1 = d * Float(s1), min1 = dmin * Float(m1)
                let d2 = d * Float(s2), min2 = dmin * Float(m2)
                for l in 0..<32 {
                    out[l] = d1 * Float((ql[l] & 0x0F) + (qh[l] & u1 != 0 ? 16 : 0)) - min1
                }
                for l in 0..<32 {
                    out[32 + l] = d2 * Float((ql[l] >> 4) + (qh[l] & u2 != 0 ? 16 : 0)) - min2
                }
                ql += 32
                out += 64
                u1 <<= 2
                u2 <<= 2
            }
        }
    }

    /// Q6_K (210 bytes): ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16], f16 d;
    /// x = d * scale * (q - 32), q 6 bits.
    static func dequantizeQ6_K(_ source: UnsafeRawPointer, blocks: Int, into y: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>) {
        for b in 0..<blocks {
            let block = source + b * 210
            var ql = block.assumingMemoryBound(to: UInt8.self)
            var qh = ql + 128
            var sc = (block + 192).assumingMemoryBound(to: Int8.self)
            let d = table[Int(block.loadUInt16(at: 208))]
            var out = y + b * 256
            for _ in 0..<2 {
                for l in 0..<32 {
                    let group = l / 16
                    let q1 = Int32((ql[l] & 0x0F) | ((qh[l] & 3) << 4)) - 32
                    let q2 = Int32((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32
                    let q3 = Int32((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32
                    let q4 = Int32((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32
                    out[l] = d * Float(sc[group]) * Float(q1)
                    out[l + 32] = d * Float(sc[group + 2]) * Float(q2)
                    out[l + 64] = d * Float(sc[group + 4]) * Float(q3)
                    out[l + 96] = d * Float(sc[group + 6]) * Float(q4)
                }
                out += 128
                ql += 64
                qh += 32
                sc += 8
            }
        }
    }

    /// Q8_K (292 bytes): f32 d, int8 qs[256], int16 bsums[16] (unused here); x = d * q.
    static func dequantizeQ8_K(_ source: UnsafeRawPointer, blocks: Int, into y: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = source + b * 292
            let d = Float(bitPattern: block.loadUInt32(at: 0))
            let qs = (block + 4).assumingMemoryBound(to: Int8.self)
            let out = y + b * 256
            for l in 0..<256 { out[l] = d * Float(qs[l]) }
        }
    }
}

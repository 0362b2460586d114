import TestSupport
import ModelFormats

/// Hand-built quantised blocks with exactly known values, written from ggml's packing rules
/// (`quantize_row_*` in ggml-quants.c) independently of the decoders under test. Scales are
/// powers of two and levels small integers, so every expected value is exact in Float.
struct EncodedBlocks {
    var bytes: [UInt8] = []
    var values: [Float] = []
}

enum BlockEncoders {
    /// Half-precision bits of a power of two (exact in f16 for -14...15).
    static func half(powerOfTwo exponent: Int) -> UInt16 {
        Float16(Float(sign: .plus, exponent: exponent, significand: 1)).bitPattern
    }

    static func float(powerOfTwo exponent: Int) -> Float {
        Float(sign: .plus, exponent: exponent, significand: 1)
    }

    static func encode(_ type: GGMLType, blocks: Int, using rng: inout SeededGenerator) -> EncodedBlocks {
        var result = EncodedBlocks()
        for _ in 0..<blocks {
            var b = ByteBuilder()
            let values: [Float]
            switch type {
            case .q4_0: values = q4_0(&b, &rng)
            case .q4_1: values = q4_1(&b, &rng)
            case .q5_0: values = q5_0(&b, &rng)
            case .q5_1: values = q5_1(&b, &rng)
            case .q8_0: values = q8(&b, &rng, withSum: false)
            case .q8_1: values = q8(&b, &rng, withSum: true)
            case .q2_K: values = q2_K(&b, &rng)
            case .q3_K: values = q3_K(&b, &rng)
            case .q4_K: values = q4_K(&b, &rng, fifthBit: false)
            case .q5_K: values = q4_K(&b, &rng, fifthBit: true)
            case .q6_K: values = q6_K(&b, &rng)
            case .q8_K: values = q8_K(&b, &rng)
            case .f16: values = f16(&b, &rng)
            case .bf16: values = bf16(&b, &rng)
            case .f32: values = f32(&b, &rng)
            default: preconditionFailure("no encoder for \(type.name)")
            }
            precondition(b.bytes.count == type.bytesPerBlock && values.count == type.blockSize,
                         "\(type.name) encoder wrote \(b.bytes.count) bytes / \(values.count) values")
            result.bytes += b.bytes
            result.values += values
        }
        return result
    }

    static func levels(_ count: Int, below limit: Int, _ rng: inout SeededGenerator) -> [Int] {
        (0..<count).map { _ in Int.random(in: 0..<limit, using: &rng) }
    }

    static func exponent(_ rng: inout SeededGenerator) -> Int { Int.random(in: -10 ... -3, using: &rng) }

    /// 32 four-bit levels: byte j = level j | level (j + 16) << 4.
    static func packNibbles(_ L: [Int], into b: inout ByteBuilder) {
        for j in 0..<16 { b.u8(UInt8(L[j] & 15) | UInt8(L[j + 16] & 15) << 4) }
    }

    /// Fifth bits of 32 levels as a u32: bit j = bit 4 of level j.
    static func highBits(_ L: [Int]) -> UInt32 {
        var qh: UInt32 = 0
        for j in 0..<32 where L[j] & 16 != 0 { qh |= 1 << UInt32(j) }
        return qh
    }

    static func q4_0(_ b: inout ByteBuilder, _ rng: inout SeededGenerator) -> [Float] {
        let e = exponent(&rng), L = levels(32, below: 16, &rng)
        b.u16(half(powerOfTwo: e)); packNibbles(L, into: &b)
        return L.map { Float($0 - 8) * float(powerOfTwo: e) }
    }

    static func q4_1(_ b: inout ByteBuilder, _ rng: inout SeededGenerator) -> [Float] {
        let e = exponent(&rng), m = -float(powerOfTwo: exponent(&rng)), L = levels(32, below: 16, &rng)
        b.u16(half(powerOfTwo: e)); b.u16(Float16(m).bitPattern); packNibbles(L, into: &b)
        return L.map { Float($0) * float(powerOfTwo: e) + m }
    }

    static func q5_0(_ b: inout ByteBuilder, _ rng: inout SeededGenerator) -> [Float] {
        let e = exponent(&rng), L = levels(32, below: 32, &rng)
        b.u16(half(powerOfTwo: e)); b.u32(highBits(L)); packNibbles(L, into: &b)
        return L.map { Float($0 - 16) * float(powerOfTwo: e) }
    }

    static func q5_1(_ b: inout ByteBuilder, _ rng: inout SeededGenerator) -> [Float] {
        let e = exponent(&rng), m = float(powerOfTwo: exponent(&rng)), L = levels(32, below: 32, &rng)
        b.u16(half(powerOfTwo: e)); b.u16(Float16(m).bitPattern); b.u32(highBits(L)); packNibbles(L, into: &b)
        return L.map { Float($0) * float(powerOfTwo: e) + m }
    }

    static func q8(_ b: inout ByteBuilder, _ rng: inout SeededGenerator, withSum: Bool) -> [Float] {
        let e = exponent(&rng), L = levels(32, below: 256, &rng).map { $0 - 128 }
        b.u16(half(powerOfTwo: e))
        if withSum { b.u16(Float16(Float(L.reduce(0, +)) * float(powerOfTwo: e)).bitPattern) }
        for q in L { b.u8(UInt8(bitPattern: Int8(q))) }
        return L.map { Float($0) * float(powerOfTwo: e) }
    }

    /// The 2-bit packing shared by Q2_K and Q3_K: in each 128-element half, byte l of its 32
    /// holds elements l, l + 32, l + 64, l + 96 at shifts 0, 2, 4, 6.
    static func packCrumbs(_ L: [Int], into b: inout ByteBuilder) {
        for half in stride(from: 0, to: 256, by: 128) {
            for l in 0..<32 {
                let packed = (L[half + l] & 3) | (L[half + l + 32] & 3) << 2 | (L[half + l + 64] & 3) << 4 | (L[half + l + 96] & 3) << 6
                b.u8(UInt8(packed))
            }
        }
    }

    static func q2_K(_ b: inout ByteBuilder, _ rng: inout SeededGenerator) -> [Float] {
        let scales = levels(16, below: 16, &rng), mins = levels(16, below: 16, &rng)
        let L = levels(256, below: 4, &rng)
        let ed = exponent(&rng), em = exponent(&rng)
        for j in 0..<16 { b.u8(UInt8(scales[j] | mins[j] << 4)) }
        packCrumbs(L, into: &b)
        b.u16(half(powerOfTwo: ed)); b.u16(half(powerOfTwo: em))
        return (0..<256).map { i in
            float(powerOfTwo: ed) * Float(scales[i / 16]) * Float(L[i]) - float(powerOfTwo: em) * Float(mins[i / 16])
        }
    }

    static func q3_K(_ b: inout ByteBuilder, _ rng: inout SeededGenerator) -> [Float] {
        let scales = levels(16, below: 64, &rng)  // stored biased by 32
        let L = levels(256, below: 8, &rng)        // stored biased by 4
        let e = exponent(&rng)
        var hmask = [UInt8](repeating: 0, count: 32)
        for j in 0..<256 where L[j] > 3 { hmask[j % 32] |= 1 << UInt8(j / 32) }
        b.bytes += hmask
        packCrumbs(L, into: &b)
        var packed = [UInt8](repeating: 0, count: 12)
        for j in 0..<16 {
            let l = scales[j]
            if j < 8 { packed[j] = UInt8(l & 15) } else { packed[j - 8] |= UInt8(l & 15) << 4 }
            packed[8 + j % 4] |= UInt8(l >> 4) << UInt8(2 * (j / 4))
        }
        b.bytes += packed
        b.u16(half(powerOfTwo: e))
        return (0..<256).map { i in float(powerOfTwo: e) * Float(scales[i / 16] - 32) * Float(L[i] - 4) }
    }

    /// Q4_K, or Q5_K when `fifthBit`: 8 sub-blocks of 32 with 6-bit scale and min.
    static func q4_K(_ b: inout ByteBuilder, _ rng: inout SeededGenerator, fifthBit: Bool) -> [Float] {
        let scales = levels(8, below: 64, &rng), mins = levels(8, below: 64, &rng)
        let L = levels(256, below: fifthBit ? 32 : 16, &rng)
        let ed = exponent(&rng), em = exponent(&rng)
        b.u16(half(powerOfTwo: ed)); b.u16(half(powerOfTwo: em))
        var packed = [UInt8](repeating: 0, count: 12)
        for j in 0..<8 {
            let ls = UInt8(scales[j]), lm = UInt8(mins[j])
            if j < 4 {
                packed[j] = ls
                packed[j + 4] = lm
            } else {
                packed[j + 4] = (ls & 15) | (lm & 15) << 4
                packed[j - 4] |= (ls >> 4) << 6
                packed[j] |= (lm >> 4) << 6
            }
        }
        b.bytes += packed
        if fifthBit {
            var qh = [UInt8](repeating: 0, count: 32)
            for chunk in 0..<4 {
                for j in 0..<32 {
                    if L[64 * chunk + j] > 15 { qh[j] |= 1 << UInt8(2 * chunk) }
                    if L[64 * chunk + j + 32] > 15 { qh[j] |= 2 << UInt8(2 * chunk) }
                }
            }
            b.bytes += qh
        }
        for chunk in 0..<4 {
            for l in 0..<32 { b.u8(UInt8(L[64 * chunk + l] & 15) | UInt8(L[64 * chunk + l + 32] & 15) << 4) }
        }
        return (0..<256).map { i in
            float(powerOfTwo: ed) * Float(scales[i / 32]) * Float(L[i]) - float(powerOfTwo: em) * Float(mins[i / 32])
        }
    }

    static func q6_K(_ b: inout ByteBuilder, _ rng: inout SeededGenerator) -> [Float] {
        let scales = levels(16, below: 256, &rng).map { $0 - 128 }
        let L = levels(256, below: 64, &rng)  // stored biased by 32
        let e = exponent(&rng)
        var ql = [UInt8](repeating: 0, count: 128), qh = [UInt8](repeating: 0, count: 64)
        for (half, j) in stride(from: 0, to: 256, by: 128).enumerated() {
            for l in 0..<32 {
                ql[64 * half + l] = UInt8(L[j + l] & 15) | UInt8(L[j + l + 64] & 15) << 4
                ql[64 * half + l + 32] = UInt8(L[j + l + 32] & 15) | UInt8(L[j + l + 96] & 15) << 4
                qh[32 * half + l] = UInt8(L[j + l] >> 4) | UInt8(L[j + l + 32] >> 4) << 2
                    | UInt8(L[j + l + 64] >> 4) << 4 | UInt8(L[j + l + 96] >> 4) << 6
            }
        }
        b.bytes += ql + qh
        for s in scales { b.u8(UInt8(bitPattern: Int8(s))) }
        b.u16(half(powerOfTwo: e))
        return (0..<256).map { i in float(powerOfTwo: e) * Float(scales[i / 16]) * Float(L[i] - 32) }
    }

    static func q8_K(_ b: inout ByteBuilder, _ rng: inout SeededGenerator) -> [Float] {
        let e = exponent(&rng), L = levels(256, below: 256, &rng).map { $0 - 128 }
        b.f32(float(powerOfTwo: e))
        for q in L { b.u8(UInt8(bitPattern: Int8(q))) }
        for group in 0..<16 { b.u16(UInt16(bitPattern: Int16(L[(16 * group)..<(16 * group + 16)].reduce(0, +)))) }
        return L.map { Float($0) * float(powerOfTwo: e) }
    }

    static func f16(_ b: inout ByteBuilder, _ rng: inout SeededGenerator) -> [Float] {
        // Any bit pattern but NaNs; includes subnormals, zeros and infinities.
        var bits: UInt16
        repeat { bits = UInt16.random(in: 0...UInt16.max, using: &rng) } while Float16(bitPattern: bits).isNaN
        b.u16(bits)
        return [Float(Float16(bitPattern: bits))]
    }

    static func bf16(_ b: inout ByteBuilder, _ rng: inout SeededGenerator) -> [Float] {
        let value = Float(Float16(bitPattern: UInt16.random(in: 0..<0x7C00, using: &rng))) * 1e20
        let bits = UInt16(value.bitPattern >> 16)
        b.u16(bits)
        return [Float(bitPattern: UInt32(bits) << 16)]
    }

    static func f32(_ b: inout ByteBuilder, _ rng: inout SeededGenerator) -> [Float] {
        let value = Float.random(in: -1000...1000, using: &rng)
        b.f32(value)
        return [value]
    }
}

// Bytes of GGUF blocks for tests and kernel timings: random levels, finite scales.

extension WeightStorageType {
    /// Byte offsets of the f16 scales in one block: d, and dmin or m where the type has one.
    /// - Precondition: a block type.
    var halfScaleOffsets: [Int] {
        switch self {
        case .q4_1, .q4_K, .q5_K: return [0, 2]
        case .q6_K: return [208]
        default: return [0]
        }
    }

    /// `count` blocks of random bytes (every level, high bit and packed scale byte) whose f16
    /// scales are random in ±[2⁻¹⁰, 2⁻⁴], so every decoded element is finite. One generator
    /// value per byte, so the same seed gives the same bytes on every machine.
    /// - Precondition: a block type.
    func randomBlocks<G: RandomNumberGenerator>(count: Int, using generator: inout G) -> [UInt8] {
        precondition(isBlockQuantized, "randomBlocks: \(self) is not a block type")
        var bytes = (0..<(count * blockBytes)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        for block in 0..<count {
            for offset in halfScaleOffsets {
                let unit = Double(generator.next() >> 11) / 0x1p53
                let magnitude = Float(unit * (1.0 / 16 - 1.0 / 1024) + 1.0 / 1024)
                let bits = Float16(generator.next() & 1 == 0 ? magnitude : -magnitude).bitPattern
                bytes[block * blockBytes + offset] = UInt8(truncatingIfNeeded: bits)
                bytes[block * blockBytes + offset + 1] = UInt8(truncatingIfNeeded: bits >> 8)
            }
        }
        return bytes
    }
}

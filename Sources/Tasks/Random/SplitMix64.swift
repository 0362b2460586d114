/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fast generator, used here to seed
/// `Xoshiro256StarStar` and to mix seeds. The sequence for a seed is fixed forever, on every
/// machine (unlike `SystemRandomNumberGenerator`, which must never be used for experiments).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A well-mixed 64-bit value derived from `values`, order-sensitive; used to give every
    /// (seed, task, split, query) its own independent stream.
    public static func mix(_ values: [UInt64]) -> UInt64 {
        var generator = SplitMix64(seed: 0x5EED_5EED_5EED_5EED)
        var accumulated: UInt64 = 0
        for value in values {
            generator.state ^= value &+ accumulated
            accumulated = generator.next()
        }
        return accumulated
    }

    /// FNV-1a over the UTF-8 bytes: a stable hash of a string (Swift's `hashValue` is
    /// randomised per process and must not feed a seed).
    public static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}

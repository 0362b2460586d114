import Foundation
import Tasks

/// The one seeded generator of the tests: the project's `SplitMix64` (Steele, Lea & Flood, 2014)
/// with uniform and Box–Muller normal draws, so every random input is reproducible from its seed.
public struct SeededGenerator: RandomNumberGenerator {
    private var bits: SplitMix64
    /// The second normal of the last Box–Muller pair, returned by the next `nextNormal()`.
    private var spareNormal: Double?

    public init(seed: UInt64) { bits = SplitMix64(seed: seed) }

    public mutating func next() -> UInt64 { bits.next() }

    /// Uniform in [0, 1), 53 random bits (`nextUnitDouble`).
    public mutating func nextUnit() -> Double { nextUnitDouble() }

    /// A standard normal sample by Box–Muller, both values of each pair used in turn
    /// (`nextGaussian` draws a fresh pair per sample).
    public mutating func nextNormal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        let u1 = 1 - nextUnit()  // (0, 1], so the logarithm is finite
        let u2 = nextUnit()
        let radius = (-2 * log(u1)).squareRoot()
        spareNormal = radius * sin(2 * Double.pi * u2)
        return radius * cos(2 * Double.pi * u2)
    }
}

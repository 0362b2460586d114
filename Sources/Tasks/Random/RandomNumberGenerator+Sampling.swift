import Foundation

// Our own bounded-integer, uniform and Gaussian draws, so that the numbers a seed gives do not
// depend on how a Swift release implements `Int.random(in:using:)` or `Double.random`.
extension RandomNumberGenerator {
    /// A uniform integer in `0..<upperBound` (Lemire's multiply-shift with rejection: unbiased).
    /// - Precondition: `upperBound > 0`.
    public mutating func nextIndex(below upperBound: Int) -> Int {
        precondition(upperBound > 0, "nextIndex(below:) needs a positive bound, got \(upperBound)")
        let bound = UInt64(upperBound)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return Int(product.high)
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal draw by Box–Muller (the cosine branch; one draw per call keeps the
    /// stream simple to reason about: two uniforms per normal).
    public mutating func nextGaussian() -> Double {
        // 1 - u lies in (0, 1], so the logarithm is finite.
        let u1 = 1 - nextUnitDouble()
        let u2 = nextUnitDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// `count` distinct indices of `0..<populationCount`, in sampled order, never `excluding`.
    /// Partial Fisher–Yates over the candidates: O(population) memory, exact uniformity.
    /// - Precondition: `count` does not exceed the number of candidates.
    public mutating func sampleWithoutReplacement(
        _ count: Int, from populationCount: Int, excluding excluded: Int? = nil
    ) -> [Int] {
        var candidates = Array(0..<populationCount)
        if let excluded, excluded >= 0, excluded < populationCount {
            candidates.remove(at: excluded)
        }
        precondition(
            count >= 0 && count <= candidates.count,
            "cannot sample \(count) of \(candidates.count) candidates")
        for i in 0..<count {
            let j = i + nextIndex(below: candidates.count - i)
            candidates.swapAt(i, j)
        }
        return Array(candidates.prefix(count))
    }
}

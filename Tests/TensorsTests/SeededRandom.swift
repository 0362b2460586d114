// Seeded randomness for the Tensors tests: SplitMix64 and Box–Muller normals, so every test input
// is reproducible from its seed.
import Foundation
import Tensors

/// SplitMix64 (Steele, Lea & Flood, 2014): a Weyl sequence on 64 bits followed by a bit mixer.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    /// The second normal of the last Box–Muller pair, returned by the next `nextNormal()`.
    private var spareNormal: Double?

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 random bits.
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A standard normal sample (Box–Muller: two uniforms give two independent normals).
    mutating func nextNormal() -> Double {
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

    /// A tensor of independent N(0, standardDeviation²) elements.
    mutating func normal(_ shape: [Int], standardDeviation: Float = 1) -> Tensor {
        let count = shape.reduce(1, *)
        var scalars = [Float](repeating: 0, count: count)
        for i in 0..<count { scalars[i] = Float(nextNormal()) * standardDeviation }
        return Tensor(shape: shape, scalars: scalars)
    }

    /// A tensor of independent elements uniform in `range`.
    mutating func uniform(_ shape: [Int], in range: ClosedRange<Float>) -> Tensor {
        let count = shape.reduce(1, *)
        var scalars = [Float](repeating: 0, count: count)
        let width = Double(range.upperBound - range.lowerBound)
        for i in 0..<count { scalars[i] = range.lowerBound + Float(nextUnit() * width) }
        return Tensor(shape: shape, scalars: scalars)
    }
}

/// Largest |a_i − b_i|. - Precondition: equal counts.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "maxAbsDifference: \(a.count) vs \(b.count) elements")
    var worst: Float = 0
    for i in a.indices { worst = max(worst, abs(a[i] - b[i])) }
    return worst
}

/// Largest |a_i − b_i| against a Double reference.
func maxAbsDifference(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "maxAbsDifference: \(a.count) vs \(b.count) elements")
    var worst: Double = 0
    for i in a.indices { worst = max(worst, abs(Double(a[i]) - b[i])) }
    return worst
}

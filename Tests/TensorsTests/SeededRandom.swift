// Seeded randomness for the Tensors tests: SplitMix64 and Box–Muller normals, so every test input
// is reproducible from its seed.
import Foundation
import Tensors
import TestSupport

/// The shared seeded generator, under the name these tests use.
typealias SplitMix64 = SeededGenerator

extension SeededGenerator {
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

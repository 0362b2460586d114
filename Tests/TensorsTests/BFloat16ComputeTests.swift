// Shapes: x (N, I), weight (O, I) with bfloat16 panels → y (N, O).
import Foundation
import Testing
@testable import Tensors

@Suite struct BFloat16ComputeTests {
    /// (N, I, O): rows on both sides of the kernel's 6-row tiles, odd inputs (a zero-padded pair),
    /// outputs that leave partial 16-wide panels and partial 64-wide tiles, and one product large
    /// enough to split between threads.
    static let shapes: [(n: Int, i: Int, o: Int)] = [
        (1, 16, 16), (1, 37, 13), (5, 64, 70), (6, 19, 33), (7, 77, 64), (13, 128, 200), (2, 1, 1),
        (64, 96, 160),
    ]

    @Test(arguments: 0..<shapes.count)
    func kernelMatchesNaive(shapeIndex: Int) throws {
        let (n, i, o) = Self.shapes[shapeIndex]
        var rng = SplitMix64(seed: UInt64(700 + shapeIndex))
        let x = rng.normal([n, i]).scalars
        let w = WeightMatrix(rng.normal([o, i]))
        // Without AVX512_BF16 the path is refused before any kernel runs (`supportFollowsCPUFlags`
        // and ModelsTests' error test cover such machines).
        guard ComputePrecision.bfloat16.isSupported else { return }
        let fast = w.withBFloat16Panels()
        #expect(fast.computesInBFloat16 && !w.computesInBFloat16)
        var y = [Float](repeating: .nan, count: n * o)
        y.withUnsafeMutableBufferPointer { yp in
            x.withUnsafeBufferPointer { xp in weightLinearForward(yp.baseAddress!, xp.baseAddress!, fast, rows: n) }
        }
        let naive = bfloat16LinearForwardNaive(x, w, rows: n)
        // Same rounded operands, float32 sums in another order: within a few ulps of Σ|x||w|.
        #expect(maxAbsDifference(y, naive) < 1e-5 * Float(i), "(N \(n), I \(i), O \(o))")
        // The rounding is real: the float32 product differs by far more than the summation order.
        let exact = weightLinearForwardNaive(x, w, rows: n)
        #expect(maxAbsDifference(exact, naive) > 1e-4, "(N \(n), I \(i), O \(o))")
    }

    /// Support is what /proc/cpuinfo lists: AVX512_BF16 (and AVX512BW, for the conversions).
    @Test func supportFollowsCPUFlags() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        #expect(!flags.isEmpty)
        #expect(ComputePrecision.bfloat16.isSupported == (flags.contains("avx512_bf16") && flags.contains("avx512bw")))
        #expect(ComputePrecision.float32.isSupported)
    }

    /// The naive reference rounds as `bfloat16Bits` does (nearest even) before multiplying.
    @Test func naiveRoundsOperandsToNearestEven() {
        var rng = SplitMix64(seed: 71)
        let (n, i, o) = (3, 21, 5)
        let x = rng.normal([n, i]).scalars
        let w = WeightMatrix(rng.normal([o, i]))
        let weights = w.floats()
        let naive = bfloat16LinearForwardNaive(x, w, rows: n)
        for r in 0..<n {
            for c in 0..<o {
                var sum: Float = 0
                for k in 0..<i {
                    sum += floatFromBFloat16(bfloat16Bits(x[r * i + k])) * floatFromBFloat16(bfloat16Bits(weights[c * i + k]))
                }
                #expect(naive[r * o + c] == sum, "(\(r), \(c))")
            }
        }
    }
}

// Shapes: x (N, I), weight (O, I) with bfloat16 panels → y (N, O).
import Foundation
import Testing
import CKernels
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

    /// bfloat16 runs everywhere; its kernel is `vdpbf16ps` where /proc/cpuinfo lists AVX512_BF16
    /// (and AVX512BW, for the conversions), else the AVX2 one.
    @Test func kernelFollowsCPUFlags() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        #expect(!flags.isEmpty)
        #expect(BFloat16Kernel.current == (flags.contains("avx512_bf16") && flags.contains("avx512bw") ? .avx512bf16 : .avx2))
        #expect(ComputePrecision.bfloat16.isSupported && ComputePrecision.float32.isSupported)
    }

    /// The AVX2 kernel equals vdpbf16ps's definition (per output and input pair in order: the odd
    /// product, then the even, each a float32 fused multiply-add) bit for bit, on the shapes above
    /// and on row ranges that start and end inside the output range; where the CPU has AVX512_BF16
    /// the instruction's kernel gives the same bits.
    @Test(arguments: 0..<shapes.count)
    func avx2KernelEqualsTheInstructionsDefinition(shapeIndex: Int) throws {
        let (n, i, o) = Self.shapes[shapeIndex]
        var rng = SplitMix64(seed: UInt64(900 + shapeIndex))
        let x = rng.normal([n, i]).scalars, w = rng.normal([o, i]).scalars
        let pairs = (i + 1) / 2
        var panels = [UInt16](repeating: 0, count: tvb_bf16_panel_elements(o, i))
        var xb = [UInt16](repeating: 0, count: n * 2 * pairs)
        var definition = [Float](repeating: .nan, count: n * o)
        tvb_bf16_pack(&panels, w, o, i)
        tvb_bf16_round_rows_scalar(&xb, x, n, i)
        tvb_gemm_bf16_pairs_naive(&definition, x, w, n, i, o)
        func run(_ kernel: (UnsafeMutablePointer<Float>?, Int, UnsafePointer<UInt16>?, Int, Int, UnsafePointer<UInt16>?, Int, Int, Int) -> Void) -> [Float] {
            var y = [Float](repeating: .nan, count: n * o)
            // Two ranges split at a panel boundary, as the threads take them.
            let split = min(o, 16 * ((o / 16 + 1) / 2))
            kernel(&y, o, xb, n, i, panels, o, 0, split)
            if split < o { kernel(&y, o, xb, n, i, panels, o, split, o) }
            return y
        }
        let avx2 = run(tvb_gemm_bf16_avx2)
        #expect(avx2.map(\.bitPattern) == definition.map(\.bitPattern), "(N \(n), I \(i), O \(o))")
        if BFloat16Kernel.current == .avx512bf16 {
            var xb512 = [UInt16](repeating: 0, count: n * 2 * pairs)
            tvb_bf16_round_rows(&xb512, x, n, i)
            #expect(xb512 == xb)
            #expect(run(tvb_gemm_bf16).map(\.bitPattern) == avx2.map(\.bitPattern), "(N \(n), I \(i), O \(o))")
        }
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

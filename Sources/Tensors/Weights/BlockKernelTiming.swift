// Shapes: weight (O, I) in GGUF blocks, x (N, I) → y (N, O).
import CKernels
import Foundation

/// The block matrix–vector kernels timed on their own (`bench perf --kernels`): one thread, random
/// blocks of one type, every forward implementation this CPU runs (AVX2 always, AVX-512 where it
/// has it and the kernel takes the type) and the transposed (backward) kernel, each checked
/// against a naive product (dequantise, then dot; the backward in Double).
public struct BlockKernelTiming: Sendable {
    public var type: WeightStorageType
    /// Activation rows N.
    public var rows: Int
    /// "avx2" or "avx512" (forward, y = x · wᵀ), or "avx2-dx" (backward, dx = dy · w).
    public var kernel: String
    /// O · I · N multiply–adds per second.
    public var weightsPerSecond: Double
    /// max |y − y_naive| / (1 + max |y_naive|) (dx for the backward).
    public var errorAgainstNaive: Double

    /// Times every kernel for `type` on an (outputs, inputs) weight of random blocks (seeded) and
    /// `rows` random activation rows: the best of `repeats` runs of at least `minimumSeconds`.
    /// - Precondition: `type` is a block type and `inputs` a multiple of its block elements.
    public static func measure(
        _ type: WeightStorageType, outputs: Int, inputs: Int, rows: Int, repeats: Int, minimumSeconds: Double = 0.05, seed: UInt64 = 1
    ) -> [BlockKernelTiming] {
        precondition(type.isBlockQuantized && inputs % type.blockElements == 0, "BlockKernelTiming: \(type) with \(inputs) inputs")
        var random = XorShift(state: seed | 1)
        let blocks = type.randomBlocks(count: outputs * inputs / type.blockElements, using: &random)
        let x = (0..<(rows * inputs)).map { _ in Float(random.unit() * 2 - 1) }
        let kind = type.kernelKind
        typealias Kernel = (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafePointer<UInt8>) -> Void
        var kernels: [(String, Kernel)] = [("avx2", { tvb_matvecq_avx2($0, outputs, $1, inputs, $2, inputs, 0, outputs, rows, kind) })]
        if tvb_matvecq512_handles(kind) != 0 && tvb_cpu_has_avx512_matvecq() != 0 {
            kernels.append(("avx512", { tvb_matvecq512($0, outputs, $1, inputs, $2, inputs, 0, outputs, rows, kind) }))
        }
        let naive: Kernel = { tvb_matvecq_naive($0, outputs, $1, inputs, $2, inputs, 0, outputs, rows, kind) }
        func run(_ kernel: Kernel) -> [Float] {
            var y = [Float](repeating: .nan, count: rows * outputs)
            y.withUnsafeMutableBufferPointer { yp in x.withUnsafeBufferPointer { xp in blocks.withUnsafeBufferPointer { kernel(yp.baseAddress!, xp.baseAddress!, $0.baseAddress!) } } }
            return y
        }
        func timing(_ name: String, _ run: () -> [Float], reference: [Float]) -> BlockKernelTiming {
            let scale = 1 + Double(reference.map(abs).max() ?? 0)
            let error = zip(run(), reference).map { Double(abs($0 - $1)) }.max().map { $0 / scale } ?? 0
            var best = Double.infinity
            for _ in 0..<repeats {
                var calls = 0
                let start = Date()
                repeat {
                    _ = run()
                    calls += 1
                } while Date().timeIntervalSince(start) < minimumSeconds
                best = min(best, Date().timeIntervalSince(start) / Double(calls))
            }
            return BlockKernelTiming(type: type, rows: rows, kernel: name, weightsPerSecond: Double(outputs * inputs * rows) / best, errorAgainstNaive: error)
        }
        let reference = run(naive)
        var timings = kernels.map { name, kernel in timing(name, { run(kernel) }, reference: reference) }
        // The backward product dx (N, I) = dy (N, O) · w, here with dy = the forward's x read as
        // (N, O) rows (O = I is not required: the first N · O values of a long enough vector).
        let dy = (0..<(rows * outputs)).map { _ in Float(random.unit() * 2 - 1) }
        let dense = [Float](unsafeUninitializedCapacity: outputs * inputs) { out, initialized in
            blocks.withUnsafeBufferPointer { tvb_dequantize(out.baseAddress!, $0.baseAddress!, outputs * inputs, kind) }
            initialized = outputs * inputs
        }
        var backwardReference = [Float](repeating: 0, count: rows * inputs)
        for r in 0..<rows {
            var sums = [Double](repeating: 0, count: inputs)
            for o in 0..<outputs {
                let d = Double(dy[r * outputs + o])
                for k in 0..<inputs { sums[k] += d * Double(dense[o * inputs + k]) }
            }
            for k in 0..<inputs { backwardReference[r * inputs + k] = Float(sums[k]) }
        }
        timings.append(timing("avx2-dx", {
            var dx = [Float](repeating: 0, count: rows * inputs)
            dx.withUnsafeMutableBufferPointer { dxp in
                dy.withUnsafeBufferPointer { dyp in
                    blocks.withUnsafeBufferPointer {
                        tvb_matvecq_transposed(dxp.baseAddress!, inputs, dyp.baseAddress!, outputs, $0.baseAddress!, inputs, outputs, 0, inputs / 32, rows, kind)
                    }
                }
            }
            return dx
        }, reference: backwardReference))
        return timings
    }

    /// Marsaglia's xorshift64: enough for benchmark data, and the same bytes on every machine.
    struct XorShift: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        /// Uniform in [0, 1).
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    }
}

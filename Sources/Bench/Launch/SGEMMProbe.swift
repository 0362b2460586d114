import Foundation
import Tensors

/// A timed square SGEMM, the number `bench doctor` reports to prove the OpenBLAS core choice.
struct SGEMMMeasurement: Equatable {
    var size: Int
    /// The fastest of the timed runs.
    var seconds: Double

    var gflops: Double { 2 * pow(Double(size), 3) / seconds / 1e9 }

    /// Times C (n, n) = A (n, n) · B (n, n) `repeats` times after one untimed warm-up; keeps the best.
    /// - Precondition: `size >= 1`, `repeats >= 1`.
    static func measure(size: Int, repeats: Int) -> SGEMMMeasurement {
        let (a, b) = operands(size: size)
        var c = [Float](repeating: 0, count: size * size)
        return best(size: size, repeats: repeats) {
            BLAS.sgemm(transposeA: false, transposeB: false, m: size, n: size, k: size,
                       a: a, lda: size, b: b, ldb: size, c: &c, ldc: size)
        }
    }

    /// Times the same product through `--compute bfloat16`'s path (A rounded to bfloat16 per call,
    /// B packed into bfloat16 panels once, float32 sums) on this CPU's kernel.
    /// - Precondition: `size >= 1`, `repeats >= 1`.
    static func measureBFloat16(size: Int, repeats: Int) -> SGEMMMeasurement {
        let (a, b) = operands(size: size)
        let weight = WeightMatrix(Tensor(shape: [size, size], scalars: b)).withBFloat16Panels()
        var c = [Float](repeating: 0, count: size * size)
        return best(size: size, repeats: repeats) {
            c.withUnsafeMutableBufferPointer { cp in
                a.withUnsafeBufferPointer { ap in
                    guard let cBase = cp.baseAddress, let aBase = ap.baseAddress else { return }
                    weightLinearForward(cBase, aBase, weight, rows: size)
                }
            }
        }
    }

    /// A and B (n, n), the same fixed values in every measurement.
    private static func operands(size: Int) -> (a: [Float], b: [Float]) {
        precondition(size >= 1, "size \(size) must be positive")
        let count = size * size
        return ((0..<count).map { i in Float((i * 7 + 3) % 101) / 101 - 0.5 },
                (0..<count).map { i in Float((i * 13 + 5) % 97) / 97 - 0.5 })
    }

    /// The fastest of `repeats` runs of `product` after one untimed warm-up.
    private static func best(size: Int, repeats: Int, _ product: () -> Void) -> SGEMMMeasurement {
        precondition(repeats >= 1, "repeats \(repeats) must be positive")
        var best = Double.infinity
        for run in 0...repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            product()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if run > 0 { best = min(best, seconds) }
        }
        return SGEMMMeasurement(size: size, seconds: best)
    }
}

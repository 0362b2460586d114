import Foundation
import Testing
@testable import Tensors

@Suite struct BLASTests {
    @Test func sgemmMatchesNaiveProduct() {
        // A (2, 3) · B (3, 2)
        let a: [Float] = [1, 2, 3, 4, 5, 6]
        let b: [Float] = [7, 8, 9, 10, 11, 12]
        var c = [Float](repeating: 0, count: 4)
        BLAS.sgemm(transposeA: false, transposeB: false, m: 2, n: 2, k: 3, a: a, lda: 3, b: b, ldb: 2, c: &c, ldc: 2)
        #expect(c == [58, 64, 139, 154])
    }

    /// C (M, N) = alpha op(A) op(B) + beta C with every operand a strided block of a wider matrix,
    /// as attention uses it (one head's columns of a (T, H·Dh) buffer). β = 0 ignores C's old
    /// values, NaN included (C is zeroed before the product), and leaves the columns beyond N.
    @Test(arguments: [(false, false, Float(-2)), (true, false, -2), (false, true, -2), (true, true, -2),
                      (false, false, 0), (true, true, 0)])
    func stridedTransposedProductsWithAlphaAndBeta(transposeA: Bool, transposeB: Bool, beta: Float) {
        let m = 3, n = 4, k = 5, lda = 9, ldb = 11, ldc = 6
        let alpha: Float = 0.5
        var rng = SplitMix64(seed: 1200)
        // Stored A is (M, K) or, transposed, (K, M); likewise B is (K, N) or (N, K).
        let aRows = transposeA ? k : m, bRows = transposeB ? n : k
        let a = rng.normal([aRows, lda]).scalars, b = rng.normal([bRows, ldb]).scalars
        var c0 = rng.normal([m, ldc]).scalars
        if beta == 0 { for i in 0..<m { c0[i * ldc + 1] = .nan } }
        var c = c0
        BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: &c, ldc: ldc)
        for i in 0..<m {
            for j in 0..<ldc {
                guard j < n else {
                    #expect(c[i * ldc + j] == c0[i * ldc + j], "column \(j) beyond N was written")
                    continue
                }
                var s = 0.0
                for p in 0..<k {
                    let av = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    s += Double(av) * Double(bv)
                }
                let expected = Double(alpha) * s + (beta == 0 ? 0 : Double(beta) * Double(c0[i * ldc + j]))
                #expect(abs(Double(c[i * ldc + j]) - expected) < 1e-5, "C[\(i), \(j)]")
            }
        }
    }

    @Test func emptyProductsLeaveCUntouched() {
        let a: [Float] = [1], b: [Float] = [1]
        var c: [Float] = [42]
        BLAS.sgemm(transposeA: false, transposeB: false, m: 0, n: 1, k: 1, a: a, lda: 1, b: b, ldb: 1, c: &c, ldc: 1)
        BLAS.sgemm(transposeA: false, transposeB: false, m: 1, n: 0, k: 1, a: a, lda: 1, b: b, ldb: 1, c: &c, ldc: 1)
        #expect(c == [42])
    }

    /// Sections of one-thread calls: the first to open saves the setting and sets 1, nested and
    /// overlapping ones (other threads) see the saved value, the last to close restores it.
    @Test func singleThreadedSectionsRestoreTheSettingWhenTheLastCloses() {
        final class Setting: @unchecked Sendable { var value = 3; var writes: [Int] = [] }
        let setting = Setting()
        let sections = SingleThreadedSections(read: { setting.value }, write: { setting.value = $0; setting.writes.append($0) })
        #expect(sections.enter() == 3 && setting.value == 1)
        #expect(sections.enter() == 3 && setting.value == 1)
        sections.leave()
        #expect(setting.value == 1)
        sections.leave()
        #expect(setting.value == 3 && setting.writes == [1, 3])
        // Many threads opening and closing sections at once leave the setting as it was.
        DispatchQueue.concurrentPerform(iterations: 200) { _ in
            #expect(sections.enter() == 3)
            sections.leave()
        }
        #expect(setting.value == 3)
    }

    /// With BENCH_FIXED_BLAS_THREADS (scripts/test sets it) no one changes OpenBLAS's thread count
    /// and the pool runs on every core; without it, setting the count is what OpenBLAS reports.
    @Test func aFixedThreadCountIgnoresSettings() {
        let before = BLAS.threadCount
        if BLAS.threadCountIsFixed {
            BLAS.threadCount = before + 2
            #expect(BLAS.threadCount == before)
            #expect(BLAS.poolThreads == ProcessInfo.processInfo.activeProcessorCount)
            #expect(SingleThreadedSections.shared.enter() == BLAS.poolThreads && BLAS.threadCount == before)
            SingleThreadedSections.shared.leave()
        } else {
            #expect(BLAS.poolThreads == before)
        }
    }

    @Test func openBLASReportsItsCore() {
        #expect(!BLAS.coreName.isEmpty && BLAS.coreName != "unknown")
        #expect(!BLAS.configuration.isEmpty && BLAS.configuration != "unknown")
        #expect(BLAS.threadCount >= 1)
    }
}

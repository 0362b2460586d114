// Shapes: scores (T, S), row i the query at position S − T + i.
import CKernels
import Testing
@testable import Tensors

@Suite struct MaskedSoftmaxTests {
    /// (T, S, window): prefill (T = S), continuation on a cache (T < S), one decode row, windows
    /// shorter and longer than the row, row lengths around the 8- and 16-wide vectors.
    static let cases: [(t: Int, s: Int, window: Int?)] = [
        (1, 1, nil), (7, 7, nil), (17, 17, nil), (3, 40, nil), (1, 33, nil), (9, 9, 4), (5, 30, 8), (1, 50, 64), (24, 24, 1),
    ]

    @Test(arguments: 0..<cases.count)
    func kernelMatchesNaive(caseIndex: Int) {
        let (t, s, window) = Self.cases[caseIndex]
        var rng = SplitMix64(seed: UInt64(900 + caseIndex))
        let scores = rng.normal([t, s], standardDeviation: 4).scalars
        var naive = scores, fast = scores
        naive.withUnsafeMutableBufferPointer { maskedSoftmaxRows($0.baseAddress!, rows: t, keys: s, window: window) }
        fast.withUnsafeMutableBufferPointer { tvb_masked_softmax_rows($0.baseAddress!, t, s, window ?? 0) }
        for row in 0..<t {
            let position = s - t + row, first = window.map { max(0, position - $0 + 1) } ?? 0
            for j in 0..<s {
                let (a, b) = (fast[row * s + j], naive[row * s + j])
                if j < first || j > position {
                    #expect(a == 0 && b == 0, "(T \(t), S \(s)) row \(row) key \(j) is masked")
                } else {
                    #expect(abs(a - b) <= 2e-6 * max(b, 1e-3) + 1e-9, "(T \(t), S \(s)) row \(row) key \(j): \(a) vs \(b)")
                }
            }
            let total = fast[(row * s)..<((row + 1) * s)].reduce(0, +)
            #expect(abs(total - 1) < 1e-5)
        }
    }
}

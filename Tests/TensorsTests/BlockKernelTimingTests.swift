// Shapes: weight (O, I) in GGUF blocks, x (N, I) → y (N, O).
import CKernels
import Testing
@testable import Tensors

/// `bench perf --kernels`' measurement: every block type, each kernel this CPU runs and the
/// backward one, agreeing with the naive products, at a positive rate; the same seed gives the
/// same blocks.
@Suite struct BlockKernelTimingTests {
    static let types = WeightStorageType.allCases.filter(\.isBlockQuantized)

    @Test(arguments: types)
    func everyKernelAgreesWithTheNaiveOne(type: WeightStorageType) {
        let timings = BlockKernelTiming.measure(type, outputs: 9, inputs: 512, rows: 3, repeats: 1, minimumSeconds: 0.001)
        let avx512 = tvb_matvecq512_handles(type.kernelKind) != 0 && tvb_cpu_has_avx512_matvecq() != 0
        #expect(timings.map(\.kernel) == (avx512 ? ["avx2", "avx512", "avx2-dx"] : ["avx2", "avx2-dx"]))
        for timing in timings {
            #expect(timing.type == type && timing.rows == 3)
            #expect(timing.errorAgainstNaive < 1e-5, "\(type) \(timing.kernel): \(timing.errorAgainstNaive)")
            #expect(timing.weightsPerSecond > 0 && timing.weightsPerSecond.isFinite)
        }
    }

    @Test func blocksAreSeededAndTheirScalesFinite() {
        var first = BlockKernelTiming.XorShift(state: 7), second = BlockKernelTiming.XorShift(state: 7)
        let a = WeightStorageType.q6_K.randomBlocks(count: 4, using: &first)
        #expect(a == WeightStorageType.q6_K.randomBlocks(count: 4, using: &second))
        let w = WeightMatrix(outputs: 1, inputs: 4 * 256, storageType: .q6_K, blocks: a)
        let finite = w.floats().allSatisfy { $0.isFinite }
        #expect(finite)
    }
}

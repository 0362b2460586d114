// The kernel pool (CKernels/parallel.c) behind ParallelOutputs: coverage of the split, many jobs
// in a row, concurrent callers, and work that really lands on a second thread.
import Foundation
import Synchronization
import Testing
@testable import Tensors

@Suite struct ParallelOutputsTests {
    /// Every output falls in exactly one range, and every range starts on a multiple of the alignment.
    @Test(arguments: [(1, 2, 16), (15, 2, 16), (16, 2, 16), (203, 3, 16), (576, 2, 16), (1000, 5, 1), (49152, 2, 16), (7, 1, 4)])
    func rangesCoverEveryOutputOnce(outputs: Int, threads: Int, alignment: Int) {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: outputs)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0)
        let misaligned = Atomic<Int>(0)
        ParallelOutputs.forEachRange(outputs: outputs, threads: threads, alignment: alignment) { range in
            if range.lowerBound % alignment != 0 { misaligned.add(1, ordering: .relaxed) }
            for o in range { counts[o] += 1 }
        }
        #expect(counts.allSatisfy { $0 == 1 })
        #expect(misaligned.load(ordering: .relaxed) == 0)
    }

    /// Thousands of short jobs one after another (the decode pattern): each job's chunks all run,
    /// with that job's own body, whether a worker joins early, late or not at all.
    @Test func manyShortJobsInARow() {
        let outputs = 64
        let y = UnsafeMutableBufferPointer<Int>.allocate(capacity: outputs)
        defer { y.deallocate() }
        var wrong = 0
        for job in 0..<3000 {
            y.initialize(repeating: -1)
            ParallelOutputs.forEachRange(outputs: outputs, threads: 2 + job % 3, alignment: 1) { range in
                for o in range { y[o] = job * outputs + o }
            }
            for o in 0..<outputs where y[o] != job * outputs + o { wrong += 1 }
        }
        #expect(wrong == 0)
    }

    /// Callers on several threads at once: one holds the pool, the others run their chunks alone;
    /// all get their own results.
    @Test func concurrentCallersGetTheirOwnResults() async {
        let wrong = await withTaskGroup(of: Int.self) { group in
            for caller in 0..<6 {
                group.addTask {
                    let outputs = 300
                    let y = UnsafeMutableBufferPointer<Int>.allocate(capacity: outputs)
                    defer { y.deallocate() }
                    var wrong = 0
                    for job in 0..<200 {
                        ParallelOutputs.forEachRange(outputs: outputs, threads: 2, alignment: 1) { range in
                            for o in range { y[o] = caller * 1_000_000 + job * outputs + o }
                        }
                        for o in 0..<outputs where y[o] != caller * 1_000_000 + job * outputs + o { wrong += 1 }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(wrong == 0)
    }

    /// The pool is not a serial loop in disguise: some job's chunks run on a thread other than the
    /// caller's. (Other tests may hold the pool for a while, so it tries up to 200 jobs.)
    @Test func chunksRunOnASecondThread() {
        let caller = pthread_self()
        let elsewhere = Atomic<Int>(0)
        for _ in 0..<200 where elsewhere.load(ordering: .relaxed) == 0 {
            ParallelOutputs.forEachRange(outputs: 8, threads: 2, alignment: 1) { _ in
                if pthread_equal(pthread_self(), caller) == 0 { elsewhere.add(1, ordering: .relaxed) }
                usleep(200)
            }
        }
        #expect(elsewhere.load(ordering: .relaxed) > 0)
    }

    /// A block matrix's product is the same bits on 1, 2 and 3 threads: each output is computed
    /// by the same code whatever the split.
    @Test(arguments: [1, 4])
    func blockProductsDoNotDependOnTheThreadCount(rows n: Int) {
        let i = 256, o = 1000
        var rng = SplitMix64(seed: 93)
        // Q8_0 blocks: f16 scale 1/16, then 32 random int8 levels.
        var bytes = [UInt8]()
        for _ in 0..<(o * i / 32) {
            bytes += [0x00, 0x2C] + (0..<32).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        let w = WeightMatrix(outputs: o, inputs: i, storageType: .q8_0, blocks: bytes)
        let x = rng.normal([n, i]).scalars
        func product(threads: Int) -> [Float] {
            var y = [Float](repeating: .nan, count: n * o)
            y.withUnsafeMutableBufferPointer { yp in
                x.withUnsafeBufferPointer { xp in
                    weightLinearForward(yp.baseAddress!, xp.baseAddress!, w, rows: n, path: .matrixVector, threads: threads)
                }
            }
            return y
        }
        let one = product(threads: 1)
        #expect(product(threads: 2) == one)
        #expect(product(threads: 3) == one)
        #expect(maxAbsDifference(one, weightLinearForwardBlocksNaive(x, w, rows: n)) < 1e-3)
    }
}

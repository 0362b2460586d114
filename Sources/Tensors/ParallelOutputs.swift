// Splitting a product's outputs between threads of the kernel pool (CKernels/parallel.c).
import CKernels

public enum ParallelOutputs {
    /// Chunks per thread for matrix–vector products: more than one, so that a thread that starts
    /// late (a worker that was asleep, or a core shared with another process) leaves its share
    /// to the others.
    public static let matrixVectorChunksPerThread = 4

    /// Calls `body` on disjoint ranges covering 0..<outputs, each starting on a multiple of
    /// `alignment` (whole cache lines of y, or whole weight panels), on up to `threads` threads.
    /// Every output is computed by the same code whatever the split, so results do not depend on
    /// `threads`. A GEMM over many rows passes `chunksPerThread` 1: each chunk re-reads all of x.
    public static func forEachRange(
        outputs: Int, threads: Int, alignment: Int = 16, chunksPerThread: Int = matrixVectorChunksPerThread,
        _ body: (Range<Int>) -> Void
    ) {
        let units = (outputs + alignment - 1) / alignment
        let chunks = max(1, min(units, threads > 1 ? threads * chunksPerThread : 1))
        if chunks == 1 {
            body(0..<outputs)
            return
        }
        parallelChunks(chunks, threads: threads) { chunk in
            body((units * chunk / chunks * alignment)..<min(outputs, units * (chunk + 1) / chunks * alignment))
        }
    }

    /// Elements below which an elementwise or row-wise pass stays on the calling thread: a pass
    /// over fewer (a decode step's rows) takes about as long as handing it to the pool.
    public static let elementwiseThreshold = 1 << 15

    /// Calls `body` on disjoint ranges covering 0..<units (rows of `unitSize` elements, or
    /// elements with `unitSize` 1 and `alignment` 16), on the pool's threads when the pass touches
    /// at least `elementwiseThreshold` elements. For prefill's norms, activations, additions and
    /// rotations, which ran on one thread while the other cores waited. Each unit's result is
    /// the same whatever the split.
    public static func forEachPart(units: Int, unitSize: Int, alignment: Int = 1, _ body: (Range<Int>) -> Void) {
        let threads = units * unitSize < elementwiseThreshold ? 1 : BLAS.poolThreads
        forEachRange(outputs: units, threads: threads, alignment: alignment, chunksPerThread: 2, body)
    }

    /// Runs `body(c)` for c in 0..<chunks on up to `threads` threads of the pool; chunks must
    /// write disjoint memory.
    static func parallelChunks(_ chunks: Int, threads: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            var job = body
            withUnsafeMutablePointer(to: &job) { pointer in
                tvb_parallel_chunks(chunks, Int32(threads), { context, chunk in
                    context?.assumingMemoryBound(to: ((Int) -> Void).self).pointee(chunk)
                }, pointer)
            }
        }
    }
}

// Shapes: N rows, I inputs, O outputs; the weight is (O, I) in its stored width or GGUF blocks.
import CKernels

/// Which kernel multiplies by a 16-bit or block-quantised `WeightMatrix` (Float32 storage uses sgemm,
/// except that a forward `.matrixVector` product reads the blocks a matrix keeps, if any).
public enum WeightKernelPath: Sendable, CaseIterable {
    /// `.matrixVector` for at most `WeightKernels.matrixVectorRowLimit` rows
    /// (`blockMatrixVectorRowLimit` for a forward product with GGUF blocks), `.blockedGEMM` above.
    case automatic
    /// Reads each weight once per 8 rows, converting (or decoding blocks) in registers: for decode
    /// and the last-token path.
    case matrixVector
    /// Converts blocks of weight rows to Float32 in a scratch buffer and calls sgemm on each.
    case blockedGEMM
}

public enum WeightKernels {
    /// Rows up to which `.automatic` picks the matrix–vector kernel. Beyond it the kernel would
    /// re-read the weight once per 8 rows, while sgemm's cost of the conversion is amortised.
    public static let matrixVectorRowLimit = 8
    /// Float32 elements of the conversion scratch of `.blockedGEMM` (512 KiB: fits in L2).
    static let scratchElements = 1 << 17
    /// The same for block storage (4 MiB): sgemm packs the tile anyway, and fewer, larger calls
    /// amortise its thread hand-off, which dominated 204-row tiles of Gemma's 262k-row output
    /// projection. SmolLM2's matrices (at most 885k elements) fit in one tile.
    static let blockScratchElements = 1 << 20

    /// The same for the forward product of weights in GGUF blocks. Up to here, decoding each
    /// block in registers once per 8 rows beats decoding tiles to Float32 for SGEMM, and decode
    /// stays off OpenBLAS's threads, which shared the cores with the pool's (batch-32 decode from
    /// the blocks, 2 threads: SmolLM2 368–371 tok/s against 264–374, Gemma 199–213 against 131–142).
    public static let blockMatrixVectorRowLimit = 32

    static func resolve(_ path: WeightKernelPath, rows n: Int, limit: Int = matrixVectorRowLimit) -> WeightKernelPath {
        path != .automatic ? path : (n <= limit ? .matrixVector : .blockedGEMM)
    }

    /// Weight elements below which the matrix–vector kernel runs on one thread (the hand-off
    /// costs more than it saves).
    static let parallelThreshold = 1 << 15

    /// Threads for the matrix–vector kernel: `BLAS.poolThreads` (as many as OpenBLAS uses), for large matrices.
    static func matrixVectorThreads(_ w: WeightMatrix) -> Int {
        w.count < parallelThreshold ? 1 : max(1, min(BLAS.poolThreads, w.outputs / 64))
    }

    /// Weight rows per block of `.blockedGEMM`.
    static func blockRows(_ w: WeightMatrix) -> Int {
        let elements = w.storageType.isBlockQuantized ? blockScratchElements : scratchElements
        return max(1, min(w.outputs, elements / max(1, w.inputs)))
    }
}

/// y (N, O) = x (N, I) · wᵀ, overwriting y.
/// - Parameter threads: threads of the matrix–vector kernel; nil picks them from the matrix size
///   and `BLAS.poolThreads`.
public func weightLinearForward(
    _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix, rows n: Int,
    path: WeightKernelPath = .automatic, threads: Int? = nil
) {
    let i = w.inputs, o = w.outputs
    if n == 0 || o == 0 { return }
    if i == 0 {
        y.update(repeating: 0, count: n * o)
        return
    }
    if let panels = w.bfloat16Panels {
        bfloat16LinearForward(y, x, w, panels: panels, rows: n)
        return
    }
    if w.storageType == .float32 {
        if let blocks = w.blocksForSmallProducts,
           WeightKernels.resolve(path, rows: n, limit: WeightKernels.blockMatrixVectorRowLimit) == .matrixVector {
            weightLinearForward(y, x, blocks, rows: n, path: .matrixVector, threads: threads)
            return
        }
        linearForward(y, x, w.buffer.base.assumingMemoryBound(to: Float.self), rows: n, inputs: i, outputs: o)
        return
    }
    let limit = w.storageType.isBlockQuantized ? WeightKernels.blockMatrixVectorRowLimit : WeightKernels.matrixVectorRowLimit
    if WeightKernels.resolve(path, rows: n, limit: limit) == .matrixVector {
        let threads = max(1, min(threads ?? WeightKernels.matrixVectorThreads(w), o / 16))
        // Int8 activations for decode-sized products (or any size when asked for by `path`);
        // 9–32 rows of blocks keep float32 activations.
        if w.int8Activations && (path == .matrixVector || n <= WeightKernels.matrixVectorRowLimit) {
            w.int8MatrixVector(y, x, rows: n, threads: threads)
            return
        }
        ParallelOutputs.forEachRange(outputs: o, threads: threads) { w.matrixVector(y, x, rows: n, outputs: $0) }
        return
    }
    w.forEachFloat32Tile { rows, tile in
        BLAS.sgemm(transposeA: false, transposeB: true, m: n, n: rows.count, k: i,
                   a: x, lda: i, b: tile, ldb: i, c: y + rows.lowerBound, ldc: o)
    }
}

/// dx (N, I) += dy (N, O) · w.
public func weightLinearBackward(
    dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, _ w: WeightMatrix, rows n: Int,
    path: WeightKernelPath = .automatic
) {
    let i = w.inputs, o = w.outputs
    if n == 0 || o == 0 || i == 0 { return }
    if w.storageType == .float32 {
        // A few rows (the last-token path's training steps) read the blocks, as the forward does:
        // sgemm would pack the whole Float32 matrix for them, which took longer than the product.
        if let blocks = w.blocksForSmallProducts, WeightKernels.resolve(path, rows: n) == .matrixVector {
            blocks.matrixVectorTransposed(dx, dy, rows: n)
            return
        }
        BLAS.sgemm(transposeA: false, transposeB: false, m: n, n: i, k: o, a: dy, lda: o,
                   b: w.buffer.base.assumingMemoryBound(to: Float.self), ldb: i, beta: 1, c: dx, ldc: i)
        return
    }
    if WeightKernels.resolve(path, rows: n) == .matrixVector {
        w.matrixVectorTransposed(dx, dy, rows: n)
        return
    }
    w.forEachFloat32Tile { rows, tile in
        BLAS.sgemm(transposeA: false, transposeB: false, m: n, n: i, k: rows.count, a: dy + rows.lowerBound, lda: o,
                   b: tile, ldb: i, beta: 1, c: dx, ldc: i)
    }
}

extension WeightMatrix {
    /// Calls `body` on consecutive ranges of `WeightKernels.blockRows(self)` rows, each converted
    /// (or decoded from blocks) to Float32 in one scratch tile ((rows.count, I), reused between calls).
    func forEachFloat32Tile(_ body: (Range<Int>, UnsafePointer<Float>) -> Void) {
        let block = WeightKernels.blockRows(self)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: block * inputs)
        defer { scratch.deallocate() }
        for start in stride(from: 0, to: outputs, by: block) {
            let rows = start..<min(outputs, start + block)
            // Converted on the kernel pool's threads: on one, BLAS's idle threads spin beside it.
            let threads = rows.count * inputs < WeightKernels.parallelThreshold ? 1 : BLAS.poolThreads
            ParallelOutputs.forEachRange(outputs: rows.count, threads: threads, alignment: 1, chunksPerThread: 1) { part in
                convertRows((rows.lowerBound + part.lowerBound)..<(rows.lowerBound + part.upperBound), into: scratch + part.lowerBound * inputs)
            }
            body(rows, scratch)
        }
    }

    /// y[r, c] = Σ_k x[r, k] · w[c, k] for r < N and c in `columns`: y (N, O), x (N, I), reading
    /// 16-bit elements or blocks in place (`tvb_matvec16`, `tvb_matvecq`).
    func matrixVector(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows n: Int, outputs columns: Range<Int>) {
        precondition(storageType != .float32, "matrixVector: Float32 weights go through sgemm")
        let begin = columns.lowerBound, end = columns.upperBound
        if storageType.isBlockQuantized {
            tvb_matvecq(y, outputs, x, inputs, buffer.base.assumingMemoryBound(to: UInt8.self), inputs, begin, end, n, storageType.kernelKind)
        } else {
            tvb_matvec16(y, outputs, x, inputs, buffer.base.assumingMemoryBound(to: UInt16.self), inputs, begin, end, n, storageType.kernelKind)
        }
    }

    /// dx (N, I) += dy (N, O) · w, reading 16-bit elements or blocks in place.
    func matrixVectorTransposed(_ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, rows n: Int) {
        precondition(storageType != .float32, "matrixVectorTransposed: Float32 weights go through sgemm")
        if storageType.isBlockQuantized {
            // Column groups of 32 split over threads: each writes only its columns of dx.
            let w = buffer.base.assumingMemoryBound(to: UInt8.self), kind = storageType.kernelKind
            let threads = WeightKernels.matrixVectorThreads(self)
            ParallelOutputs.forEachRange(outputs: inputs / 32, threads: threads, alignment: 1) { groups in
                tvb_matvecq_transposed(dx, inputs, dy, outputs, w, inputs, outputs, groups.lowerBound, groups.upperBound, n, kind)
            }
        } else {
            tvb_matvec16_transposed(dx, inputs, dy, outputs, buffer.base.assumingMemoryBound(to: UInt16.self), inputs, 0, outputs, n, storageType.kernelKind)
        }
    }
}

/// The algorithmic spec of `weightLinearForward`: y (N, O) with y[r, c] = Σ_k x[r, k] · w[c, k].
public func weightLinearForwardNaive(_ x: [Float], _ w: WeightMatrix, rows n: Int) -> [Float] {
    let i = w.inputs, o = w.outputs
    precondition(x.count == n * i, "weightLinearForwardNaive: x has \(x.count) elements for (\(n), \(i))")
    var y = [Float](repeating: 0, count: n * o)
    for r in 0..<n {
        for c in 0..<o {
            var s: Float = 0
            for k in 0..<i { s += x[r * i + k] * w.element(c, k) }
            y[r * o + c] = s
        }
    }
    return y
}

/// The algorithmic spec of the block kernels (`tvb_matvecq_naive`): y (N, O) with each weight row
/// decoded by the scalar block decoder and a dot product in index order.
/// - Precondition: `w` is stored in blocks and x holds N·I floats.
public func weightLinearForwardBlocksNaive(_ x: [Float], _ w: WeightMatrix, rows n: Int) -> [Float] {
    let i = w.inputs, o = w.outputs
    precondition(w.storageType.isBlockQuantized, "weightLinearForwardBlocksNaive: \(w.storageType) weight \(w.shape) is not in blocks")
    precondition(x.count == n * i, "weightLinearForwardBlocksNaive: x has \(x.count) elements for (\(n), \(i)) (weight \(w.shape))")
    var y = [Float](repeating: 0, count: n * o)
    y.withUnsafeMutableBufferPointer { yp in
        x.withUnsafeBufferPointer { xp in
            guard let yBase = yp.baseAddress, let xBase = xp.baseAddress else { return }
            tvb_matvecq_naive(yBase, o, xBase, i, w.buffer.base.assumingMemoryBound(to: UInt8.self), i, 0, o, n, w.storageType.kernelKind)
        }
    }
    return y
}

/// The algorithmic spec of `weightLinearBackward`: dx (N, I) with dx[r, k] = Σ_c dy[r, c] · w[c, k].
public func weightLinearBackwardNaive(_ dy: [Float], _ w: WeightMatrix, rows n: Int) -> [Float] {
    let i = w.inputs, o = w.outputs
    precondition(dy.count == n * o, "weightLinearBackwardNaive: dy has \(dy.count) elements for (\(n), \(o))")
    var dx = [Float](repeating: 0, count: n * i)
    for r in 0..<n {
        for k in 0..<i {
            var s: Float = 0
            for c in 0..<o { s += dy[r * o + c] * w.element(c, k) }
            dx[r * i + k] = s
        }
    }
    return dx
}

extension Tape {
    /// y (N, O) = x (N, I) · wᵀ (+ bias (O)) for a frozen weight: x may have any leading
    /// dimensions. Backward gives dx = dy · w (and the bias's column sums); the weight gets no gradient.
    public func linear(
        _ x: Variable, weight w: WeightMatrix, bias: Variable? = nil, path: WeightKernelPath = .automatic
    ) -> Variable {
        let o = w.outputs, i = w.inputs
        precondition(x.value.shape.last == i, "linear: input \(x.shape) does not end in \(i) (weight \(w.shape))")
        let n = x.shape.dropLast().reduce(1, *)
        var yShape = x.shape
        yShape[yShape.count - 1] = o
        // Every element is written by the kernels: no zero fill.
        let scalars = [Float](unsafeUninitializedCapacity: n * o) { yp, initialized in
            x.value.scalars.withUnsafeBufferPointer { xp in
                if let y = yp.baseAddress, let xBase = xp.baseAddress {
                    weightLinearForward(y, xBase, w, rows: n, path: path)
                }
            }
            initialized = n * o
        }
        var y = Tensor(shape: yShape, scalars: scalars)
        if let bias {
            precondition(bias.shape == [o], "linear: bias \(bias.shape) for \(o) outputs")
            y.scalars.withUnsafeMutableBufferPointer { yp in
                bias.value.scalars.withUnsafeBufferPointer { bp in
                    for r in 0..<n { for c in 0..<o { yp[r * o + c] += bp[c] } }
                }
            }
        }
        let xShape = x.shape
        var inputs = [x]
        if let bias { inputs.append(bias) }
        return record(y, inputs: inputs) { dy in
            var dx = Tensor(shape: xShape)
            dx.scalars.withUnsafeMutableBufferPointer { dxp in
                dy.scalars.withUnsafeBufferPointer { dyp in
                    if let dxBase = dxp.baseAddress, let dyBase = dyp.baseAddress {
                        weightLinearBackward(dx: dxBase, dy: dyBase, w, rows: n, path: path)
                    }
                }
            }
            var result: [Tensor?] = [dx]
            if bias != nil { result.append(columnSums(dy, columns: o)) }
            return result
        }
    }

    /// Rows of a frozen `table` (V, D) for `ids` (N), each scaled by `scale`: (N, D), a constant.
    public func embedding(_ table: WeightMatrix, ids: [Int], scale: Float = 1) -> Variable {
        let v = table.outputs, d = table.inputs
        let scalars = [Float](unsafeUninitializedCapacity: ids.count * d) { out, initialized in
            for (r, id) in ids.enumerated() {
                precondition(id >= 0 && id < v, "embedding: id \(id) outside vocabulary of \(v)")
                guard let base = out.baseAddress else { continue }
                table.convertRows(id..<(id + 1), into: base + r * d)
                if scale != 1 { for j in 0..<d { base[r * d + j] *= scale } }
            }
            initialized = ids.count * d
        }
        return Variable(constant: Tensor(shape: [ids.count, d], scalars: scalars))
    }
}

// Shapes: N rows, I inputs, O outputs; the weight is (O, I). Panels: ceil(O/16) panels of
// ceil(I/2) input pairs × 16 outputs × 2 (CKernels/gemmbf16.c).
import CKernels

/// The arithmetic of a forward pass's weight products.
public enum ComputePrecision: String, Sendable, CaseIterable {
    /// Float32 operands and sums (OpenBLAS sgemm): the default and the reference.
    case float32
    /// Operands rounded to bfloat16, products summed in float32 as AVX512_BF16's `vdpbf16ps` sums
    /// them: with that instruction twice float32's arithmetic rate; logits move by about 1% of
    /// their spread. Without it (`BFloat16Kernel`) an AVX2 kernel makes the same fused
    /// multiply-adds in the same order, so the numbers are the same (but for denormals, which the
    /// instruction flushes) and the speed is float32's or less: there it serves the numerics.
    case bfloat16
    /// GGUF block weights (`--weights quantized`) multiplied by activations rounded to int8 per 32
    /// elements in decode-sized products (at most 8 rows), integer dot products through
    /// AVX512_VNNI's `vpdpbusd` as llama.cpp computes them; float32 sums across groups. Everything
    /// else (other storage, prefill-sized products, attention, the backward) stays float32.
    /// Arg-max equals float32's on the reference prompts, but one decode step moves the top-20
    /// logits by up to ~0.6, 5–8× bfloat16's move (RealModelTests/Int8ParityTests): a speed
    /// option, not a reference. Needs AVX512_VNNI (`isSupported`).
    case int8

    /// Whether this CPU runs this precision.
    public var isSupported: Bool {
        switch self {
        case .float32: return true
        case .bfloat16: return true
        case .int8: return tvb_cpu_has_avx512vnni() != 0
        }
    }
}

/// The kernel bfloat16 products run on: AVX512_BF16's `vdpbf16ps` where the CPU has it, else the
/// same sums from AVX2 fused multiply-adds.
public enum BFloat16Kernel: String, Sendable {
    case avx512bf16, avx2

    /// This CPU's.
    public static let current: BFloat16Kernel = tvb_cpu_has_avx512bf16() != 0 ? .avx512bf16 : .avx2
}

extension WeightMatrix {
    /// The same matrix carrying a bfloat16 copy packed for `tvb_gemm_bf16` (2 bytes per element,
    /// beside the stored ones): `weightLinearForward` then multiplies through it; the backward and
    /// every other reader keep the stored elements.
    public func withBFloat16Panels() -> WeightMatrix {
        let elements = tvb_bf16_panel_elements(outputs, inputs)
        let panels = WeightBuffer(uninitializedByteCount: 2 * elements)
        let destination = UnsafeMutableRawPointer(mutating: panels.base).assumingMemoryBound(to: UInt16.self)
        // Pack from Float32 tiles of rows (whole panels of 16), so block storage never needs a full copy.
        let tileRows = 1024
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * inputs)
        defer { scratch.deallocate() }
        let pairs = (inputs + 1) / 2
        for start in stride(from: 0, to: outputs, by: tileRows) {
            let rows = start..<min(outputs, start + tileRows)
            convertRows(rows, into: scratch)
            tvb_bf16_pack(destination + start * pairs * 2, scratch, rows.count, inputs)
        }
        var copy = self
        copy.bfloat16Panels = panels
        return copy
    }

    /// Whether products go through the bfloat16 panels.
    public var computesInBFloat16: Bool { bfloat16Panels != nil }
}

/// Multiply-adds below which the bfloat16 product runs on one thread.
let bfloat16ParallelThreshold = 1 << 16

/// y (N, O) = bfloat16(x) (N, I) · bfloat16(w)ᵀ with float32 sums, over the panels of `w`.
/// Threads take disjoint ranges of whole panels.
func bfloat16LinearForward(
    _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix, panels: WeightBuffer, rows n: Int
) {
    let i = w.inputs, o = w.outputs, padded = (i + 1) / 2 * 2
    let xb = UnsafeMutablePointer<UInt16>.allocate(capacity: n * padded)
    defer { xb.deallocate() }
    let avx512 = BFloat16Kernel.current == .avx512bf16
    if avx512 { tvb_bf16_round_rows(xb, x, n, i) } else { tvb_bf16_round_rows_scalar(xb, x, n, i) }
    let panelBase = panels.base.assumingMemoryBound(to: UInt16.self)
    let threads = n * i * o < bfloat16ParallelThreshold ? 1 : BLAS.poolThreads
    // Ranges of whole panels (16 outputs each).
    let chunksPerThread = n <= WeightKernels.matrixVectorRowLimit ? ParallelOutputs.matrixVectorChunksPerThread : 1
    ParallelOutputs.forEachRange(outputs: o, threads: threads, chunksPerThread: chunksPerThread) { range in
        if avx512 {
            tvb_gemm_bf16(y, o, xb, n, i, panelBase, o, range.lowerBound, range.upperBound)
        } else {
            tvb_gemm_bf16_avx2(y, o, xb, n, i, panelBase, o, range.lowerBound, range.upperBound)
        }
    }
}

/// The algorithmic spec of the bfloat16 product: x and w rounded to bfloat16, products in float32,
/// summed in index order. y (N, O).
public func bfloat16LinearForwardNaive(_ x: [Float], _ w: WeightMatrix, rows n: Int) -> [Float] {
    precondition(x.count == n * w.inputs, "bfloat16LinearForwardNaive: x has \(x.count) elements for (\(n), \(w.inputs))")
    let weights = w.floats()
    var y = [Float](repeating: 0, count: n * w.outputs)
    y.withUnsafeMutableBufferPointer { yp in
        x.withUnsafeBufferPointer { xp in
            weights.withUnsafeBufferPointer { wp in
                guard let yBase = yp.baseAddress, let xBase = xp.baseAddress, let wBase = wp.baseAddress else { return }
                tvb_gemm_bf16_naive(yBase, xBase, wBase, n, w.inputs, w.outputs)
            }
        }
    }
    return y
}

// Shapes: N rows, I inputs, O outputs, G = I / 32 groups; the weight is (O, I) in GGUF blocks.
import CKernels

extension WeightMatrix {
    /// The same matrix with its forward matrix–vector products (at most
    /// `WeightKernels.matrixVectorRowLimit` rows: decode and the last-token path) taking the
    /// activations rounded to int8 per 32 elements (`tvb_matvecq8`, llama.cpp's q8 dot products);
    /// larger products and the backward keep float32 activations. Matrices not in blocks are
    /// returned unchanged.
    /// - Precondition: `ComputePrecision.int8.isSupported` (callers check and throw first).
    public func withInt8Activations() -> WeightMatrix {
        precondition(ComputePrecision.int8.isSupported, "withInt8Activations: this CPU has no AVX512_VNNI")
        guard storageType.isBlockQuantized else { return self }
        var copy = self
        copy.int8Activations = true
        return copy
    }

    /// Whether small forward products round the activations to int8.
    public var computesWithInt8Activations: Bool { int8Activations }

    /// y (N, O) for N ≤ 8 from activations rounded to int8, the rows of y split between threads.
    func int8MatrixVector(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows n: Int, threads: Int) {
        let i = inputs, o = outputs, groups = i / 32
        let bytes = n * i + 4 * (n * groups + 2 * n * groups)
        withUnsafeTemporaryAllocation(byteCount: bytes, alignment: 64) { scratch in
            guard let base = scratch.baseAddress else { return }
            let q = base.assumingMemoryBound(to: Int8.self)
            let scale = (base + n * i).assumingMemoryBound(to: Float.self)
            let halfSums = scale + n * groups
            tvb_quantize_rows_q8(q, scale, halfSums, x, i, n, i)
            let w = buffer.base.assumingMemoryBound(to: UInt8.self), kind = storageType.kernelKind
            ParallelOutputs.forEachRange(outputs: o, threads: threads) { range in
                tvb_matvecq8(y, o, q, scale, halfSums, w, i, range.lowerBound, range.upperBound, n, kind)
            }
        }
    }
}

/// The algorithmic spec of the int8-activation product: x rounded by the scalar quantiser, then
/// `tvb_matvecq8_naive` (integer sums per half group, float32 across groups). y (N, O).
/// - Precondition: `w` is stored in blocks and x holds N·I floats.
public func int8ActivationLinearForwardNaive(_ x: [Float], _ w: WeightMatrix, rows n: Int) -> [Float] {
    let i = w.inputs, o = w.outputs, groups = i / 32
    precondition(w.storageType.isBlockQuantized, "int8ActivationLinearForwardNaive: \(w.storageType) weight \(w.shape) is not in blocks")
    precondition(x.count == n * i, "int8ActivationLinearForwardNaive: x has \(x.count) elements for (\(n), \(i)) (weight \(w.shape))")
    var q = [Int8](repeating: 0, count: n * i)
    var scale = [Float](repeating: 0, count: n * groups), halfSums = [Float](repeating: 0, count: 2 * n * groups)
    var y = [Float](repeating: 0, count: n * o)
    tvb_quantize_rows_q8_naive(&q, &scale, &halfSums, x, i, n, i)
    w.buffer.base.withMemoryRebound(to: UInt8.self, capacity: w.byteCount) { blocks in
        tvb_matvecq8_naive(&y, o, q, scale, halfSums, blocks, i, 0, o, n, w.storageType.kernelKind)
    }
    return y
}

/// Rounds the rows of x (N, I) to int8 per 32 elements as the int8-activation products do:
/// q (N, I), scale (N, G) and the scaled sums of each 16 elements (N, 2G). `naive` picks the scalar
/// reference (the same bits).
public func quantizeActivationsQ8(_ x: [Float], rows n: Int, inputs i: Int, naive: Bool = false) -> (q: [Int8], scale: [Float], halfSums: [Float]) {
    precondition(i % 32 == 0 && x.count == n * i, "quantizeActivationsQ8: \(x.count) elements for (\(n), \(i)), I a multiple of 32")
    var q = [Int8](repeating: 0, count: n * i)
    var scale = [Float](repeating: 0, count: n * i / 32), halfSums = [Float](repeating: 0, count: n * i / 16)
    if naive {
        tvb_quantize_rows_q8_naive(&q, &scale, &halfSums, x, i, n, i)
    } else {
        tvb_quantize_rows_q8(&q, &scale, &halfSums, x, i, n, i)
    }
    return (q, scale, halfSums)
}

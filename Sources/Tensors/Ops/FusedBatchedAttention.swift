// Causal multi-head self-attention over B sequences of equal length T, from packed q|k|v rows
// (GPT-2's c_attn layout). Shapes: qkv (B·T, 3·H·Dh), each row [q (H·Dh) | k (H·Dh) | v (H·Dh)];
// output (B·T, H·Dh), head h in columns h·Dh ..< (h+1)·Dh. No cache and no padding: every query at
// position t sees keys 0...t of its own sequence.
import CKernels
import Foundation

extension Tape {
    /// softmax(scale · q kᵀ + causal mask) v per (sequence, head), scale 1/sqrt(Dh).
    ///
    /// The fast path for training: two sgemm calls per (sequence, head) forward and five backward,
    /// no per-sequence key copies; the probabilities (B, H, T, T) are kept only when a gradient is
    /// needed. `attention(query:key:value:sequences:geometry:)` computes the same numbers.
    /// - Precondition: qkv has B·T rows of 3·H·Dh columns.
    public func batchedCausalAttention(_ qkv: Variable, batch b: Int, tokens t: Int, heads h: Int) -> Variable {
        let rowWidth = qkv.value.count / max(1, b * t)
        precondition(b >= 1 && t >= 1 && h >= 1 && qkv.value.count == b * t * rowWidth && rowWidth % (3 * h) == 0,
                     "batchedCausalAttention: qkv \(qkv.shape) is not (\(b)·\(t), 3·\(h)·Dh)")
        let width = rowWidth / 3, dh = width / h
        let scale = 1 / Float(dh).squareRoot()
        let keep = qkv.requiresGradient
        var probabilities = [Float](repeating: 0, count: keep ? b * h * t * t : t * t)
        var y = Tensor(shape: [b * t, width])
        y.scalars.withUnsafeMutableBufferPointer { yp in
            qkv.value.scalars.withUnsafeBufferPointer { xp in
                probabilities.withUnsafeMutableBufferPointer { pp in
                    for s in 0..<b {
                        for head in 0..<h {
                            let q = xp.baseAddress! + s * t * rowWidth + head * dh
                            let p = pp.baseAddress! + (keep ? (s * h + head) * t * t : 0)
                            BLAS.sgemm(transposeA: false, transposeB: true, m: t, n: t, k: dh, alpha: scale,
                                       a: q, lda: rowWidth, b: q + width, ldb: rowWidth, c: p, ldc: t)
                            tvb_masked_softmax_rows(p, t, t, 0)
                            BLAS.sgemm(transposeA: false, transposeB: false, m: t, n: dh, k: t,
                                       a: p, lda: t, b: q + 2 * width, ldb: rowWidth,
                                       c: yp.baseAddress! + s * t * width + head * dh, ldc: width)
                        }
                    }
                }
            }
        }
        guard keep else { return Variable(constant: y) }
        let x = qkv.value
        return record(y, inputs: [qkv]) { dy in
            var dx = Tensor(shape: x.shape)
            var dScores = [Float](repeating: 0, count: t * t)
            dx.scalars.withUnsafeMutableBufferPointer { dxp in
            x.scalars.withUnsafeBufferPointer { xp in
            dy.scalars.withUnsafeBufferPointer { dyp in
            probabilities.withUnsafeBufferPointer { pp in
            dScores.withUnsafeMutableBufferPointer { dsp in
                let ds = dsp.baseAddress!
                for s in 0..<b {
                    for head in 0..<h {
                        let offset = s * t * rowWidth + head * dh
                        let q = xp.baseAddress! + offset, dq = dxp.baseAddress! + offset
                        let p = pp.baseAddress! + (s * h + head) * t * t
                        let dO = dyp.baseAddress! + s * t * width + head * dh
                        // dP (T, T) = dO · Vᵀ
                        BLAS.sgemm(transposeA: false, transposeB: true, m: t, n: t, k: dh,
                                   a: dO, lda: width, b: q + 2 * width, ldb: rowWidth, c: ds, ldc: t)
                        // dS = P ⊙ (dP − Σ_j P dP); masked entries have P = 0, so dS = 0 there.
                        for row in 0..<t {
                            let pr = p + row * t, dr = ds + row * t
                            var dot: Float = 0
                            for j in 0...row { dot += pr[j] * dr[j] }
                            for j in 0...row { dr[j] = pr[j] * (dr[j] - dot) }
                            for j in (row + 1)..<t { dr[j] = 0 }
                        }
                        // dQ = scale · dS · K;  dK = scale · dSᵀ · Q;  dV = Pᵀ · dO
                        BLAS.sgemm(transposeA: false, transposeB: false, m: t, n: dh, k: t, alpha: scale,
                                   a: ds, lda: t, b: q + width, ldb: rowWidth, c: dq, ldc: rowWidth)
                        BLAS.sgemm(transposeA: true, transposeB: false, m: t, n: dh, k: t, alpha: scale,
                                   a: ds, lda: t, b: q, ldb: rowWidth, c: dq + width, ldc: rowWidth)
                        BLAS.sgemm(transposeA: true, transposeB: false, m: t, n: dh, k: t,
                                   a: p, lda: t, b: dO, ldb: width, c: dq + 2 * width, ldc: rowWidth)
                    }
                }
            }}}}}
            return [dx]
        }
    }
}

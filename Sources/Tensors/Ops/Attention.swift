// Causal grouped-query attention over ragged sequences with cached keys and values.
// Shapes: q (N, H·Dh) for the N new tokens of all sequences; k, v (N, Hkv·Dh) the same tokens'
// keys and values; each sequence's full keys/values (S, Hkv·Dh), its new tokens being the last rows.
// Query head h reads key/value head h / (H / Hkv), as Hugging Face's `repeat_kv` does.
import Foundation

/// One sequence of a ragged attention batch.
public struct AttentionSequence {
    /// Rows of q, k, v (and of the output) that hold this sequence's new tokens.
    public var rows: Range<Int>
    /// Every key of the sequence (S, Hkv·Dh), cached ones first and the new tokens' last.
    public var keys: [Float]
    /// Every value of the sequence (S, Hkv·Dh), laid out like `keys`.
    public var values: [Float]

    public init(rows: Range<Int>, keys: [Float], values: [Float]) {
        self.rows = rows
        self.keys = keys
        self.values = values
    }
}

/// Head geometry and masking of an attention layer.
public struct AttentionGeometry: Sendable, Equatable {
    public var heads: Int
    public var keyValueHeads: Int
    public var headDimensions: Int
    /// Multiplies q·k (1/sqrt(Dh) unless the family says otherwise).
    public var scale: Float
    /// A query at position p sees keys at positions in (p − window, p]; nil sees every earlier key.
    public var window: Int?

    public init(heads: Int, keyValueHeads: Int, headDimensions: Int, scale: Float, window: Int? = nil) {
        precondition(heads % keyValueHeads == 0, "attention: \(heads) heads are not a multiple of \(keyValueHeads) KV heads")
        precondition(window.map { $0 >= 1 } ?? true, "attention: a window of \(window!) keys sees nothing; use nil for no window")
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.headDimensions = headDimensions
        self.scale = scale
        self.window = window
    }
}

extension Tape {
    /// Attention output (N, H·Dh). `k` and `v` must hold the same numbers as the last rows of each
    /// sequence's `keys`/`values`; they carry the gradient of those rows.
    public func attention(
        query q: Variable, key k: Variable, value v: Variable,
        sequences: [AttentionSequence], geometry g: AttentionGeometry
    ) -> Variable {
        let h = g.heads, hkv = g.keyValueHeads, dh = g.headDimensions, group = h / hkv
        let qWidth = h * dh, kvWidth = hkv * dh
        precondition(q.shape.last == qWidth && k.shape.last == kvWidth && v.shape.last == kvWidth,
                     "attention: q \(q.shape), k \(k.shape), v \(v.shape) for H \(h), Hkv \(hkv), Dh \(dh)")
        let n = q.value.count / qWidth
        precondition(k.value.count == n * kvWidth && v.value.count == n * kvWidth,
                     "attention: q \(q.shape) has \(n) rows but k is \(k.shape), v \(v.shape)")
        let keepProbabilities = q.requiresGradient || k.requiresGradient || v.requiresGradient
        var probabilities: [[Float]] = []  // per (sequence, head): (T, S)
        var y = Tensor(shape: [n, qWidth])
        y.scalars.withUnsafeMutableBufferPointer { yp in
            q.value.scalars.withUnsafeBufferPointer { qp in
                for sequence in sequences {
                    let t = sequence.rows.count, s = sequence.keys.count / kvWidth
                    precondition(s >= t && sequence.values.count == sequence.keys.count, "attention: \(s) keys for \(t) new tokens")
                    // The kernels below index q, y, k and v through raw pointers: check the bounds here.
                    precondition(sequence.rows.lowerBound >= 0 && sequence.rows.upperBound <= n,
                                 "attention: sequence rows \(sequence.rows) outside the \(n) rows of q")
                    precondition(sequence.keys.count % kvWidth == 0,
                                 "attention: \(sequence.keys.count) key scalars are not whole rows of \(kvWidth)")
                    var scores = [Float](repeating: 0, count: t * s)
                    sequence.keys.withUnsafeBufferPointer { kp in
                        sequence.values.withUnsafeBufferPointer { vp in
                            for head in 0..<h {
                                let kvHead = head / group
                                let qHead = qp.baseAddress! + sequence.rows.lowerBound * qWidth + head * dh
                                scores.withUnsafeMutableBufferPointer { sp in
                                    BLAS.sgemm(transposeA: false, transposeB: true, m: t, n: s, k: dh, alpha: g.scale,
                                               a: qHead, lda: qWidth, b: kp.baseAddress! + kvHead * dh, ldb: kvWidth,
                                               c: sp.baseAddress!, ldc: s)
                                    maskedSoftmaxRows(sp.baseAddress!, rows: t, keys: s, window: g.window)
                                    BLAS.sgemm(transposeA: false, transposeB: false, m: t, n: dh, k: s,
                                               a: sp.baseAddress!, lda: s, b: vp.baseAddress! + kvHead * dh, ldb: kvWidth,
                                               c: yp.baseAddress! + sequence.rows.lowerBound * qWidth + head * dh, ldc: qWidth)
                                }
                                if keepProbabilities { probabilities.append(scores) }
                            }
                        }
                    }
                }
            }
        }
        guard keepProbabilities else { return Variable(constant: y) }
        let qv = q.value
        return record(y, inputs: [q, k, v]) { dy in
            var dq = Tensor(shape: qv.shape), dk = Tensor(shape: k.shape), dv = Tensor(shape: v.shape)
            var index = 0
            for sequence in sequences {
                let t = sequence.rows.count, s = sequence.keys.count / kvWidth, r0 = sequence.rows.lowerBound
                var dScores = [Float](repeating: 0, count: t * s)
                for head in 0..<h {
                    let kvHead = head / group
                    let p = probabilities[index]
                    index += 1
                    dy.scalars.withUnsafeBufferPointer { dyp in
                    qv.scalars.withUnsafeBufferPointer { qp in
                    sequence.keys.withUnsafeBufferPointer { kp in
                    sequence.values.withUnsafeBufferPointer { vp in
                    dScores.withUnsafeMutableBufferPointer { dsp in
                    p.withUnsafeBufferPointer { pp in
                    dq.scalars.withUnsafeMutableBufferPointer { dqp in
                    dk.scalars.withUnsafeMutableBufferPointer { dkp in
                    dv.scalars.withUnsafeMutableBufferPointer { dvp in
                        let dO = dyp.baseAddress! + r0 * qWidth + head * dh
                        // dP (T, S) = dO · Vᵀ
                        BLAS.sgemm(transposeA: false, transposeB: true, m: t, n: s, k: dh, a: dO, lda: qWidth,
                                   b: vp.baseAddress! + kvHead * dh, ldb: kvWidth, c: dsp.baseAddress!, ldc: s)
                        // dS = P ⊙ (dP − Σ_j P dP)
                        for row in 0..<t {
                            var dot: Float = 0
                            for j in 0..<s { dot += pp[row * s + j] * dsp[row * s + j] }
                            for j in 0..<s { dsp[row * s + j] = pp[row * s + j] * (dsp[row * s + j] - dot) }
                        }
                        // dq (T, Dh) = scale · dS · K
                        BLAS.sgemm(transposeA: false, transposeB: false, m: t, n: dh, k: s, alpha: g.scale,
                                   a: dsp.baseAddress!, lda: s, b: kp.baseAddress! + kvHead * dh, ldb: kvWidth,
                                   c: dqp.baseAddress! + r0 * qWidth + head * dh, ldc: qWidth)
                        // Only the new rows' keys and values are variables: dK_new = scale · dS[:, S−T..]ᵀ · q,
                        // dV_new = P[:, S−T..]ᵀ · dO, accumulated over the heads of the group.
                        BLAS.sgemm(transposeA: true, transposeB: false, m: t, n: dh, k: t, alpha: g.scale,
                                   a: dsp.baseAddress! + (s - t), lda: s, b: qp.baseAddress! + r0 * qWidth + head * dh, ldb: qWidth,
                                   beta: 1, c: dkp.baseAddress! + r0 * kvWidth + kvHead * dh, ldc: kvWidth)
                        BLAS.sgemm(transposeA: true, transposeB: false, m: t, n: dh, k: t,
                                   a: pp.baseAddress! + (s - t), lda: s, b: dO, ldb: qWidth,
                                   beta: 1, c: dvp.baseAddress! + r0 * kvWidth + kvHead * dh, ldc: kvWidth)
                    }}}}}}}}}
                }
            }
            return [dq, dk, dv]
        }
    }
}

/// Softmax of each row of scores (T, S) where row t is the query at position S − T + t, keeping
/// keys at positions ≤ that one (and within `window`); masked entries become exactly 0.
func maskedSoftmaxRows(_ scores: UnsafeMutablePointer<Float>, rows t: Int, keys s: Int, window: Int?) {
    for row in 0..<t {
        let position = s - t + row
        let first = window.map { max(0, position - $0 + 1) } ?? 0
        let r = scores + row * s
        var maximum = -Float.infinity
        for j in first...position { maximum = max(maximum, r[j]) }
        var total: Float = 0
        for j in first...position {
            let e = expf(r[j] - maximum)
            r[j] = e
            total += e
        }
        let inverse = 1 / total
        for j in 0..<s { r[j] = (j >= first && j <= position) ? r[j] * inverse : 0 }
    }
}

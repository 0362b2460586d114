// Causal grouped-query attention over ragged sequences with cached keys and values.
// Shapes: q (N, H·Dh) for the N new tokens of all sequences; k, v (N, Hkv·Dh) the same tokens'
// keys and values; each sequence's full keys/values (S, Hkv·Dh), its new tokens being the last rows.
// Query head h reads key/value head h / (H / Hkv), as Hugging Face's `repeat_kv` does.
import CKernels
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
    ///
    /// Per (sequence, head): P = masked softmax(scale · Q Kᵀ) (T, S), Y = P V (T, Dh). P is kept
    /// for the backward only when q, k or v is on the tape.
    public func attention(
        query q: Variable, key k: Variable, value v: Variable,
        sequences: [AttentionSequence], geometry g: AttentionGeometry
    ) -> Variable {
        let qWidth = g.heads * g.headDimensions, kvWidth = g.keyValueHeads * g.headDimensions
        precondition(q.shape.last == qWidth && k.shape.last == kvWidth && v.shape.last == kvWidth,
                     "attention: q \(q.shape), k \(k.shape), v \(v.shape) for H \(g.heads), Hkv \(g.keyValueHeads), Dh \(g.headDimensions)")
        let n = q.value.count / qWidth
        precondition(k.value.count == n * kvWidth && v.value.count == n * kvWidth,
                     "attention: q \(q.shape) has \(n) rows but k is \(k.shape), v \(v.shape)")
        // The kernels index q, y, k and v through raw pointers: every sequence is checked here.
        for sequence in sequences { checkAttentionSequence(sequence, queryRows: n, keyValueWidth: kvWidth) }
        let keepProbabilities = q.requiresGradient || k.requiresGradient || v.requiresGradient

        var probabilities: [[Float]] = []  // per (sequence, head), sequence after sequence: (T, S)
        var y = Tensor(shape: [n, qWidth])
        let threads = BLAS.poolThreads, decodeStep = sequences.allSatisfy { $0.rows.count == 1 }
        y.scalars.withUnsafeMutableBufferPointer { yp in
            q.value.scalars.withUnsafeBufferPointer { qp in
                let yBase = yp.baseAddress!, qBase = qp.baseAddress!
                if threads > 1 && decodeStep && !keepProbabilities && sequences.count > 1 {
                    // A decode step of many sequences: each sequence's one new row on a thread of
                    // the kernel pool (its products are below OpenBLAS's threading size).
                    ParallelOutputs.parallelChunks(sequences.count, threads: threads) { index in
                        _ = attentionForward(y: yBase, q: qBase, sequence: sequences[index], geometry: g, keepProbabilities: false)
                    }
                } else if threads > 1 && !decodeStep && sequences.count * g.heads > 1 {
                    probabilities = attentionForwardOnThePool(y: yBase, q: qBase, sequences: sequences, geometry: g,
                                                              keepProbabilities: keepProbabilities)
                } else {
                    for sequence in sequences {
                        probabilities += attentionForward(
                            y: yBase, q: qBase, sequence: sequence, geometry: g, keepProbabilities: keepProbabilities)
                    }
                }
            }
        }
        guard keepProbabilities else { return Variable(constant: y) }
        let qv = q.value, kShape = k.shape, vShape = v.shape
        return record(y, inputs: [q, k, v]) { dy in
            var dq = Tensor(shape: qv.shape), dk = Tensor(shape: kShape), dv = Tensor(shape: vShape)
            dq.scalars.withUnsafeMutableBufferPointer { dqp in
            dk.scalars.withUnsafeMutableBufferPointer { dkp in
            dv.scalars.withUnsafeMutableBufferPointer { dvp in
            dy.scalars.withUnsafeBufferPointer { dyp in
            qv.scalars.withUnsafeBufferPointer { qp in
                for (index, sequence) in sequences.enumerated() {
                    let heads = probabilities[(index * g.heads)..<((index + 1) * g.heads)]
                    let gradients = AttentionGradients(dq: dqp.baseAddress!, dk: dkp.baseAddress!, dv: dvp.baseAddress!)
                    attentionBackward(gradients, dy: dyp.baseAddress!, q: qp.baseAddress!, sequence: sequence,
                                      probabilities: heads, geometry: g)
                }
            }}}}}
            return [dq, dk, dv]
        }
    }
}

/// Traps unless `sequence` has at least as many keys as new tokens, whole key and value rows of
/// `keyValueWidth`, and rows inside the `queryRows` rows of q.
func checkAttentionSequence(_ sequence: AttentionSequence, queryRows n: Int, keyValueWidth kvWidth: Int) {
    let t = sequence.rows.count, s = sequence.keys.count / kvWidth
    precondition(s >= t && sequence.values.count == sequence.keys.count, "attention: \(s) keys for \(t) new tokens")
    precondition(sequence.rows.lowerBound >= 0 && sequence.rows.upperBound <= n,
                 "attention: sequence rows \(sequence.rows) outside the \(n) rows of q")
    precondition(sequence.keys.count % kvWidth == 0,
                 "attention: \(sequence.keys.count) key scalars are not whole rows of \(kvWidth)")
}

/// The sizes and strides one (sequence, head) pair works with. Query-side rows (q, y, dy, dq)
/// are H·Dh apart, key/value rows (a sequence's keys and values, k, v, dk, dv) Hkv·Dh apart.
struct AttentionHeadShape {
    /// T: the sequence's new tokens.
    let newTokens: Int
    /// S: its keys, cached ones first.
    let keys: Int
    let headDimensions: Int
    let queryStride: Int
    let keyValueStride: Int
    let scale: Float
    let window: Int?

    init(_ sequence: AttentionSequence, _ g: AttentionGeometry) {
        newTokens = sequence.rows.count
        keyValueStride = g.keyValueHeads * g.headDimensions
        keys = sequence.keys.count / keyValueStride
        headDimensions = g.headDimensions
        queryStride = g.heads * g.headDimensions
        scale = g.scale
        window = g.window
    }
}

/// Pointers to the whole gradients of `Tape.attention`: dq (N, H·Dh), dk and dv (N, Hkv·Dh).
/// dq is overwritten head by head; dk and dv accumulate over the heads of a KV group, so they
/// start at zero.
struct AttentionGradients {
    let dq: UnsafeMutablePointer<Float>
    let dk: UnsafeMutablePointer<Float>
    let dv: UnsafeMutablePointer<Float>
}

/// Every head of one sequence, forward: writes the sequence's rows of y (N, H·Dh) from q (N, H·Dh)
/// and the sequence's keys and values (S, Hkv·Dh).
/// - Returns: each head's P (T, S), in head order, when `keepProbabilities`; else nothing.
func attentionForward(
    y: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, sequence: AttentionSequence, geometry g: AttentionGeometry,
    keepProbabilities: Bool
) -> [[Float]] {
    let shape = AttentionHeadShape(sequence, g)
    var kept = [[Float]]()
    var scores = attentionScores(shape, keepProbabilities: keepProbabilities)
    for head in 0..<g.heads {
        scores.withUnsafeMutableBufferPointer { sp in
            attentionPairForward(y: y, q: q, sequence: sequence, head: head, geometry: g, shape: shape,
                                 probabilities: sp.baseAddress!, keepProbabilities: keepProbabilities)
        }
        if keepProbabilities { kept.append(scores) }
    }
    return kept
}

/// Every (sequence, head) pair, forward, as `attentionForward` over the sequences computes them,
/// the pairs spread over the kernel pool with OpenBLAS on one thread per product: at prefill
/// sizes (a few hundred rows and keys) OpenBLAS would otherwise split each product between its
/// threads and hand off twice per pair.
/// - Returns: the pairs' P, sequence after sequence and head after head, when `keepProbabilities`.
func attentionForwardOnThePool(
    y: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, sequences: [AttentionSequence], geometry g: AttentionGeometry,
    keepProbabilities: Bool
) -> [[Float]] {
    let pairs = sequences.count * g.heads
    var kept = [[Float]](repeating: [], count: keepProbabilities ? pairs : 0)
    kept.withUnsafeMutableBufferPointer { keptSlots in
        BLAS.withSingleThreadedCalls { threads in
            ParallelOutputs.parallelChunks(pairs, threads: threads) { pair in
                let sequence = sequences[pair / g.heads], shape = AttentionHeadShape(sequence, g)
                // Each pair owns its scores and its slot of `kept`: the chunks write disjoint memory.
                var scores = attentionScores(shape, keepProbabilities: keepProbabilities)
                scores.withUnsafeMutableBufferPointer { sp in
                    attentionPairForward(y: y, q: q, sequence: sequence, head: pair % g.heads, geometry: g, shape: shape,
                                         probabilities: sp.baseAddress!, keepProbabilities: keepProbabilities)
                }
                if keepProbabilities { keptSlots[pair] = scores }
            }
        }
    }
    return kept
}

/// One head of one sequence, forward (`attentionHeadForward`; P kept whole in `probabilities` when
/// `keepProbabilities`): locates the head's columns of q and y and its KV head's columns of the
/// sequence's keys and values.
func attentionPairForward(
    y: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, sequence: AttentionSequence, head: Int,
    geometry g: AttentionGeometry, shape: AttentionHeadShape, probabilities: UnsafeMutablePointer<Float>, keepProbabilities: Bool
) {
    let group = g.heads / g.keyValueHeads, dh = g.headDimensions
    let kvColumn = (head / group) * dh, qColumn = sequence.rows.lowerBound * shape.queryStride + head * dh
    sequence.keys.withUnsafeBufferPointer { kp in
        sequence.values.withUnsafeBufferPointer { vp in
            attentionHeadForward(
                y: y + qColumn, probabilities: probabilities, q: q + qColumn,
                keys: kp.baseAddress! + kvColumn, values: vp.baseAddress! + kvColumn, shape: shape,
                keepProbabilities: keepProbabilities)
        }
    }
}

/// One head of one sequence, forward: P = masked softmax(scale · Q Kᵀ) (T, S), Y = P V (T, Dh).
/// `q` and `y` point at the head's columns of the sequence's first new row; `keys` and `values`
/// at its KV head's columns of the sequence's first key.
///
/// With `keepProbabilities` P is written whole, row-major (T, S), for the backward. Without,
/// the rows go in blocks of `attentionRowBlock`, each against only the keys some row of it sees
/// (causal, and within the window): a block's P (T', S') is left at the start of `p`, and a
/// prefill of T tokens skips about half of the masked products.
func attentionHeadForward(
    y: UnsafeMutablePointer<Float>, probabilities p: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
    keys: UnsafePointer<Float>, values: UnsafePointer<Float>, shape: AttentionHeadShape, keepProbabilities: Bool
) {
    let t = shape.newTokens, s = shape.keys
    if keepProbabilities || t <= attentionRowBlock {
        attentionRowsForward(y: y, p: p, q: q, keys: keys, values: values, rows: t, keyCount: s, shape: shape)
        return
    }
    for first in stride(from: 0, to: t, by: attentionRowBlock) {
        let rows = min(attentionRowBlock, t - first)
        // Row r is the query at position S − T + r: the block's last row sees keys up to its own
        // position, and (with a window W) the first row none before its position − W + 1.
        let end = s - t + first + rows
        let start = shape.window.map { max(0, s - t + first - $0 + 1) } ?? 0
        attentionRowsForward(y: y + first * shape.queryStride, p: p, q: q + first * shape.queryStride,
                             keys: keys + start * shape.keyValueStride, values: values + start * shape.keyValueStride,
                             rows: rows, keyCount: end - start, shape: shape)
    }
}

/// Query rows per block of `attentionHeadForward` when P is not kept: large enough for efficient
/// products, small enough that the blocks skip most of the masked half.
let attentionRowBlock = 64

/// Scratch for one (sequence, head) pair's scores, left unset (each product writes every score it
/// reads): all of P (T, S) when it is kept, otherwise one row block's (`attentionHeadForward`).
/// A 10-shot squad_val prompt (T = S ≈ 2,650) had zeroed 28 MB per head and layer for 64 rows' use.
func attentionScores(_ shape: AttentionHeadShape, keepProbabilities: Bool) -> [Float] {
    let rows = keepProbabilities ? shape.newTokens : min(shape.newTokens, attentionRowBlock)
    return [Float](unsafeUninitializedCapacity: rows * shape.keys) { _, initialized in initialized = rows * shape.keys }
}

/// `rows` query rows against `keyCount` keys, the last row being the query at the last key's
/// position: P (rows, keyCount) at `p`, Y (rows, Dh) at `y`.
private func attentionRowsForward(
    y: UnsafeMutablePointer<Float>, p: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
    keys: UnsafePointer<Float>, values: UnsafePointer<Float>, rows t: Int, keyCount s: Int, shape: AttentionHeadShape
) {
    let dh = shape.headDimensions
    BLAS.sgemm(transposeA: false, transposeB: true, m: t, n: s, k: dh, alpha: shape.scale,
               a: q, lda: shape.queryStride, b: keys, ldb: shape.keyValueStride, c: p, ldc: s)
    tvb_masked_softmax_rows(p, t, s, shape.window ?? 0)
    BLAS.sgemm(transposeA: false, transposeB: false, m: t, n: dh, k: s,
               a: p, lda: s, b: values, ldb: shape.keyValueStride, c: y, ldc: shape.queryStride)
}

/// Every head of one sequence, backward: from dy (N, H·Dh) and the heads' P (T, S), writes the
/// sequence's rows of dq and adds to the rows of dk and dv of its new tokens.
func attentionBackward(
    _ gradients: AttentionGradients, dy: UnsafePointer<Float>, q: UnsafePointer<Float>, sequence: AttentionSequence,
    probabilities: ArraySlice<[Float]>, geometry g: AttentionGeometry
) {
    let shape = AttentionHeadShape(sequence, g)
    let group = g.heads / g.keyValueHeads, dh = g.headDimensions, r0 = sequence.rows.lowerBound
    var dScores = [Float](repeating: 0, count: shape.newTokens * shape.keys)
    sequence.keys.withUnsafeBufferPointer { kp in
        sequence.values.withUnsafeBufferPointer { vp in
            for (head, p) in zip(0..<g.heads, probabilities) {
                let kvColumn = (head / group) * dh, qColumn = r0 * shape.queryStride + head * dh
                let newKVColumn = r0 * shape.keyValueStride + kvColumn
                dScores.withUnsafeMutableBufferPointer { dsp in
                    p.withUnsafeBufferPointer { pp in
                        attentionHeadBackward(
                            dq: gradients.dq + qColumn, dNewKeys: gradients.dk + newKVColumn,
                            dNewValues: gradients.dv + newKVColumn, dScores: dsp.baseAddress!,
                            dO: dy + qColumn, q: q + qColumn, keys: kp.baseAddress! + kvColumn,
                            values: vp.baseAddress! + kvColumn, probabilities: pp.baseAddress!, shape: shape)
                    }
                }
            }
        }
    }
}

/// One head of one sequence, backward, pointers placed as in `attentionHeadForward`:
///
///     dP = dO Vᵀ (T, S);  dS = P ⊙ (dP − Σ_j P dP)  (in `dScores`);  dQ = scale · dS K  (overwritten)
///
/// Only the new tokens' keys and values are variables, the last T of the S: dK_new += scale ·
/// dS[:, S−T..]ᵀ Q and dV_new += P[:, S−T..]ᵀ dO, accumulated over the heads of a KV group.
func attentionHeadBackward(
    dq: UnsafeMutablePointer<Float>, dNewKeys: UnsafeMutablePointer<Float>, dNewValues: UnsafeMutablePointer<Float>,
    dScores ds: UnsafeMutablePointer<Float>, dO: UnsafePointer<Float>, q: UnsafePointer<Float>,
    keys: UnsafePointer<Float>, values: UnsafePointer<Float>, probabilities p: UnsafePointer<Float>, shape: AttentionHeadShape
) {
    let t = shape.newTokens, s = shape.keys, dh = shape.headDimensions
    let qStride = shape.queryStride, kvStride = shape.keyValueStride
    BLAS.sgemm(transposeA: false, transposeB: true, m: t, n: s, k: dh, a: dO, lda: qStride,
               b: values, ldb: kvStride, c: ds, ldc: s)
    for row in 0..<t {
        var dot: Float = 0
        for j in 0..<s { dot += p[row * s + j] * ds[row * s + j] }
        for j in 0..<s { ds[row * s + j] = p[row * s + j] * (ds[row * s + j] - dot) }
    }
    BLAS.sgemm(transposeA: false, transposeB: false, m: t, n: dh, k: s, alpha: shape.scale,
               a: ds, lda: s, b: keys, ldb: kvStride, c: dq, ldc: qStride)
    BLAS.sgemm(transposeA: true, transposeB: false, m: t, n: dh, k: t, alpha: shape.scale,
               a: ds + (s - t), lda: s, b: q, ldb: qStride, beta: 1, c: dNewKeys, ldc: kvStride)
    BLAS.sgemm(transposeA: true, transposeB: false, m: t, n: dh, k: t,
               a: p + (s - t), lda: s, b: dO, ldb: qStride, beta: 1, c: dNewValues, ldc: kvStride)
}

/// Softmax of each row of scores (T, S) where row t is the query at position S − T + t, keeping
/// keys at positions ≤ that one (and within `window`); masked entries become exactly 0.
/// The algorithmic spec of `tvb_masked_softmax_rows`, which the forward passes call.
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

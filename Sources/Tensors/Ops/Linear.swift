// Shapes: N rows, I inputs, O outputs. Weights are stored as PyTorch's Linear does: (O, I).
import CBLAS

/// y (N, O) = x (N, I) · wᵀ, with w (O, I).
public func linearForward(
    _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    rows n: Int, inputs i: Int, outputs o: Int
) {
    BLAS.sgemm(transposeA: false, transposeB: true, m: n, n: o, k: i, a: x, lda: i, b: w, ldb: i, c: y, ldc: o)
}

/// The algorithmic spec of `linearForward`, used by tests.
public func linearForwardNaive(_ x: [Float], _ w: [Float], rows n: Int, inputs i: Int, outputs o: Int) -> [Float] {
    var y = [Float](repeating: 0, count: n * o)
    for r in 0..<n {
        for c in 0..<o {
            var s: Float = 0
            for k in 0..<i { s += x[r * i + k] * w[c * i + k] }
            y[r * o + c] = s
        }
    }
    return y
}

/// dx (N, I) += dy (N, O) · w (O, I); dw (O, I) += dyᵀ · x.  Either output may be skipped.
public func linearBackward(
    dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?,
    dy: UnsafePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
    rows n: Int, inputs i: Int, outputs o: Int
) {
    if let dx {
        BLAS.sgemm(transposeA: false, transposeB: false, m: n, n: i, k: o, a: dy, lda: o, b: w, ldb: i, beta: 1, c: dx, ldc: i)
    }
    if let dw {
        BLAS.sgemm(transposeA: true, transposeB: false, m: o, n: i, k: n, a: dy, lda: o, b: x, ldb: i, beta: 1, c: dw, ldc: i)
    }
}

extension Tape {
    /// y (N, O) = x (N, I) · wᵀ (+ bias (O)).
    public func linear(_ x: Variable, weight w: Variable, bias: Variable? = nil) -> Variable {
        precondition(w.value.rank == 2, "linear: weight must be (O, I), got \(w.shape)")
        let o = w.shape[0], i = w.shape[1]
        precondition(x.value.shape.last == i, "linear: input \(x.shape) does not end in \(i) (weight \(w.shape))")
        let n = x.value.count / i
        var yShape = x.shape
        yShape[yShape.count - 1] = o
        var y = Tensor(shape: yShape)
        y.scalars.withUnsafeMutableBufferPointer { yp in
            x.value.scalars.withUnsafeBufferPointer { xp in
                w.value.scalars.withUnsafeBufferPointer { wp in
                    linearForward(yp.baseAddress!, xp.baseAddress!, wp.baseAddress!, rows: n, inputs: i, outputs: o)
                }
            }
        }
        if let bias {
            precondition(bias.shape == [o], "linear: bias \(bias.shape) for \(o) outputs")
            y.scalars.withUnsafeMutableBufferPointer { yp in
                bias.value.scalars.withUnsafeBufferPointer { bp in
                    for r in 0..<n { for c in 0..<o { yp[r * o + c] += bp[c] } }
                }
            }
        }
        let xValue = x.value, wValue = w.value
        let needsX = x.requiresGradient, needsW = w.requiresGradient
        var inputs = [x, w]
        if let bias { inputs.append(bias) }
        return record(y, inputs: inputs) { dy in
            var dx: Tensor? = needsX ? Tensor(shape: xValue.shape) : nil
            var dw: Tensor? = needsW ? Tensor(shape: wValue.shape) : nil
            dy.scalars.withUnsafeBufferPointer { dyp in
                xValue.scalars.withUnsafeBufferPointer { xp in
                    wValue.scalars.withUnsafeBufferPointer { wp in
                        withOptionalMutablePointer(&dx) { dxp in
                            withOptionalMutablePointer(&dw) { dwp in
                                linearBackward(
                                    dx: dxp, dw: dwp, dy: dyp.baseAddress!, x: xp.baseAddress!, w: wp.baseAddress!,
                                    rows: n, inputs: i, outputs: o)
                            }
                        }
                    }
                }
            }
            var result: [Tensor?] = [dx, dw]
            if bias != nil { result.append(columnSums(dy, columns: o)) }
            return result
        }
    }
}

/// Sums of every column of a (N, C) tensor: shape (C).
func columnSums(_ t: Tensor, columns c: Int) -> Tensor {
    var out = [Float](repeating: 0, count: c)
    t.scalars.withUnsafeBufferPointer { p in
        for r in 0..<(t.count / c) { for j in 0..<c { out[j] += p[r * c + j] } }
    }
    return Tensor(shape: [c], scalars: out)
}

/// Calls `body` with a pointer into the tensor's storage, or nil when there is no tensor.
func withOptionalMutablePointer<R>(_ t: inout Tensor?, _ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
    guard t != nil else { return body(nil) }
    return t!.scalars.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}

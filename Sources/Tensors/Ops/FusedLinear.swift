// Shapes: x (N, I), weight (O, I) as PyTorch's Linear stores it, bias (O) → (N, O).
import Foundation

/// A row-major tensor whose elements the caller writes in full before reading (no zero fill).
func uninitializedTensor(_ shape: [Int], _ initialize: (UnsafeMutablePointer<Float>) -> Void) -> Tensor {
    let count = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        if count > 0 { initialize(buffer.baseAddress!) }
        initialized = count
    })
}

extension Tape {
    /// y = x · wᵀ + b, like `linear(_:weight:bias:)`, for training-size batches: the bias is
    /// copied into every output row and the product accumulated onto it by one sgemm (β = 1), and
    /// no output or gradient buffer is zero-filled first. The backward gives dx = dy · w,
    /// dw = dyᵀ · x (each only when needed) and db = column sums of dy.
    public func linearWithBias(_ x: Variable, weight w: Variable, bias b: Variable) -> Variable {
        precondition(w.value.rank == 2 && b.shape == [w.shape[0]] && x.shape.last == w.shape[1],
                     "linearWithBias: input \(x.shape), weight \(w.shape), bias \(b.shape)")
        let o = w.shape[0], i = w.shape[1], n = x.value.count / max(1, i)
        var yShape = x.shape
        yShape[yShape.count - 1] = o
        let xv = x.value, wv = w.value
        let y = uninitializedTensor(yShape) { yp in
            b.value.scalars.withUnsafeBufferPointer { bp in
                for r in 0..<n { (yp + r * o).update(from: bp.baseAddress!, count: o) }
            }
            xv.scalars.withUnsafeBufferPointer { xp in
                wv.scalars.withUnsafeBufferPointer { wp in
                    BLAS.sgemm(transposeA: false, transposeB: true, m: n, n: o, k: i, a: xp.baseAddress!, lda: i,
                               b: wp.baseAddress!, ldb: i, beta: 1, c: yp, ldc: o)
                }
            }
        }
        let needsX = x.requiresGradient, needsW = w.requiresGradient, needsB = b.requiresGradient
        return record(y, inputs: [x, w, b]) { dy in
            dy.scalars.withUnsafeBufferPointer { dyp in
                xv.scalars.withUnsafeBufferPointer { xp in
                    wv.scalars.withUnsafeBufferPointer { wp in
                        let dx: Tensor? = needsX ? uninitializedTensor(xv.shape) { dxp in
                            BLAS.sgemm(transposeA: false, transposeB: false, m: n, n: i, k: o, a: dyp.baseAddress!, lda: o,
                                       b: wp.baseAddress!, ldb: i, c: dxp, ldc: i)
                        } : nil
                        let dw: Tensor? = needsW ? uninitializedTensor(wv.shape) { dwp in
                            BLAS.sgemm(transposeA: true, transposeB: false, m: o, n: i, k: n, a: dyp.baseAddress!, lda: o,
                                       b: xp.baseAddress!, ldb: i, c: dwp, ldc: i)
                        } : nil
                        var db: Tensor? = nil
                        if needsB {
                            var sums = [Float](repeating: 0, count: o)
                            sums.withUnsafeMutableBufferPointer { sp in
                                for r in 0..<n {
                                    let row = dyp.baseAddress! + r * o
                                    for j in 0..<o { sp[j] += row[j] }
                                }
                            }
                            db = Tensor(shape: [o], scalars: sums)
                        }
                        return [dx, dw, db]
                    }
                }
            }
        }
    }
}

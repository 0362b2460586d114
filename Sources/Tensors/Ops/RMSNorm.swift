// Shapes: N rows of C features. Weight (C).
import CKernels

/// y = x / sqrt(mean(x²) + eps) ⊙ (w + offset), per row (rows split over the kernel pool). Writes the reciprocal RMS of each row to `rstd`.
/// `offset` is 1 for checkpoints that store Gemma's weights as w − 1 (Hugging Face), 0 otherwise.
public func rmsNormForward(
    _ y: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>?, _ x: UnsafePointer<Float>,
    _ w: UnsafePointer<Float>, rows n: Int, columns c: Int, epsilon: Float, offset: Float
) {
    ParallelOutputs.forEachPart(units: n, unitSize: c) { rows in
        let first = rows.lowerBound
        tvb_rmsnorm_forward(y + first * c, rstd.map { $0 + first }, x + first * c, w, rows.count, c, epsilon, offset)
    }
}

/// dx (N, C) += ∂L/∂x and dw (C) += ∂L/∂w for `rmsNormForward`, given dy and the saved `rstd`.
/// With s = (mean x² + eps)^(-1/2) and g = w + offset: ∂L/∂x_i = s g_i dy_i − s³ x_i (Σ_j dy_j g_j x_j) / C.
public func rmsNormBackward(
    dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, dy: UnsafePointer<Float>,
    x: UnsafePointer<Float>, w: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
    rows n: Int, columns c: Int, offset: Float
) {
    tvb_rmsnorm_backward(dx, dw, dy, x, w, rstd, n, c, offset)
}

extension Tape {
    /// RMSNorm over the last dimension: x (…, C), weight (C) → (…, C).
    public func rmsNorm(_ x: Variable, weight: Variable, epsilon: Float, offset: Float = 0) -> Variable {
        let c = weight.value.count
        precondition(x.shape.last == c, "rmsNorm: input \(x.shape) does not end in \(c)")
        let n = x.value.count / c
        var rstd = [Float](repeating: 0, count: n)
        let y = uninitializedTensor(x.shape) { yp in
            x.value.scalars.withUnsafeBufferPointer { xp in
                weight.value.scalars.withUnsafeBufferPointer { wp in
                    rmsNormForward(yp, rstd: &rstd, xp.baseAddress!, wp.baseAddress!,
                                   rows: n, columns: c, epsilon: epsilon, offset: offset)
                }
            }
        }
        let xv = x.value, wv = weight.value
        let needsX = x.requiresGradient, needsW = weight.requiresGradient
        return record(y, inputs: [x, weight]) { dy in
            var dx: Tensor? = needsX ? Tensor(shape: xv.shape) : nil
            var dw: Tensor? = needsW ? Tensor(shape: wv.shape) : nil
            dy.scalars.withUnsafeBufferPointer { dyp in
                xv.scalars.withUnsafeBufferPointer { xp in
                    wv.scalars.withUnsafeBufferPointer { wp in
                        withOptionalMutablePointer(&dx) { dxp in
                            withOptionalMutablePointer(&dw) { dwp in
                                rmsNormBackward(dx: dxp, dw: dwp, dy: dyp.baseAddress!, x: xp.baseAddress!,
                                                w: wp.baseAddress!, rstd: rstd, rows: n, columns: c, offset: offset)
                            }
                        }
                    }
                }
            }
            return [dx, dw]
        }
    }
}

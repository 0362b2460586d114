// Shapes: N rows of C features. Weight and bias (C).
import CKernels

extension Tape {
    /// LayerNorm over the last dimension (GPT-2): (x − mean) / sqrt(var + eps) ⊙ w + b.
    /// The backward is ∂L/∂x = s (g − mean(g) − ĥ mean(g ĥ)) per row, with g = dy ⊙ w, ĥ the
    /// normalised input and s the reciprocal standard deviation (row kernels in CKernels).
    public func layerNorm(_ x: Variable, weight: Variable, bias: Variable, epsilon: Float = 1e-5) -> Variable {
        let c = weight.value.count
        precondition(x.shape.last == c && bias.shape == [c], "layerNorm: input \(x.shape), weight \(weight.shape), bias \(bias.shape)")
        let n = x.value.count / max(1, c)
        var normalized = [Float](repeating: 0, count: n * c)
        var rstd = [Float](repeating: 0, count: n)
        let y = uninitializedTensor(x.shape) { yp in
            x.value.scalars.withUnsafeBufferPointer { xp in
                weight.value.scalars.withUnsafeBufferPointer { wp in
                    bias.value.scalars.withUnsafeBufferPointer { bp in
                        tvb_layernorm_forward(yp, &normalized, &rstd, xp.baseAddress!, wp.baseAddress!, bp.baseAddress!, n, c, epsilon)
                    }
                }
            }
        }
        let wv = weight.value
        let needsX = x.requiresGradient
        return record(y, inputs: [x, weight, bias]) { dy in
            var dw = [Float](repeating: 0, count: c), db = [Float](repeating: 0, count: c)
            var dx: Tensor? = nil
            dy.scalars.withUnsafeBufferPointer { dyp in
                wv.scalars.withUnsafeBufferPointer { wp in
                    if needsX {
                        dx = uninitializedTensor(dy.shape) { dxp in
                            tvb_layernorm_backward(dxp, &dw, &db, dyp.baseAddress!, normalized, wp.baseAddress!, rstd, n, c)
                        }
                    } else if n * c > 0 {
                        tvb_layernorm_backward(nil, &dw, &db, dyp.baseAddress!, normalized, wp.baseAddress!, rstd, n, c)
                    }
                }
            }
            return [dx, Tensor(shape: [c], scalars: dw), Tensor(shape: [c], scalars: db)]
        }
    }
}

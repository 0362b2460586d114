import CKernels

// GELU-tanh over any shape through the vectorised C kernels (rowkernels.c: tanh as
// 1 − 2/(e^{2u} + 1) with a polynomial exp, absolute error near 1e-7), keeping the forward's tanh
// for the backward (no transcendental call in the gradient). Used by `geluTanhFused` and `geGLU`.

/// gelu(x) = 0.5 x (1 + t), t = tanh(√(2/π) (x + 0.044715 x³)), elementwise over x of any shape.
/// - Returns: gelu(x) (shape of x) and t (x.count elements) for `geluTanhGradient`.
func geluTanhKeepingTanh(_ x: Tensor) -> (value: Tensor, tanh: [Float]) {
    let count = x.count
    var tanhValues = [Float](repeating: 0, count: count)
    let y = uninitializedTensor(x.shape) { yp in
        tanhValues.withUnsafeMutableBufferPointer { tp in
            x.scalars.withUnsafeBufferPointer { xp in tvb_gelu_tanh_forward(yp, tp.baseAddress!, xp.baseAddress!, count) }
        }
    }
    return (y, tanhValues)
}

/// dx = dy · gelu'(x) = dy · (0.5 (1 + t) + 0.5 x (1 − t²) √(2/π) (1 + 3·0.044715 x²)), given the
/// forward's t. dy and x have the same shape.
func geluTanhGradient(_ dy: Tensor, x: Tensor, tanh t: [Float]) -> Tensor {
    precondition(dy.shape == x.shape && t.count == x.count, "geluTanhGradient: dy \(dy.shape), x \(x.shape), \(t.count) tanh values")
    return uninitializedTensor(x.shape) { dxp in
        dy.scalars.withUnsafeBufferPointer { dyp in
            x.scalars.withUnsafeBufferPointer { xp in
                t.withUnsafeBufferPointer { tp in
                    tvb_gelu_tanh_backward(dxp, dyp.baseAddress!, xp.baseAddress!, tp.baseAddress!, x.count)
                }
            }
        }
    }
}

extension Tape {
    /// GELU with the tanh approximation, like `geluTanh` (agreeing to about 1e-6 absolute), but
    /// vectorised and with the tanh saved for the backward.
    public func geluTanhFused(_ a: Variable) -> Variable {
        let (y, tanhValues) = geluTanhKeepingTanh(a.value)
        guard a.requiresGradient else { return Variable(constant: y) }
        let x = a.value
        return record(y, inputs: [a]) { dy in [geluTanhGradient(dy, x: x, tanh: tanhValues)] }
    }

    /// GeGLU: gelu(gate) ⊙ up (Gemma's MLP), GELU with the tanh approximation from the same
    /// vectorised kernels as `geluTanhFused`. Backward: d gate = (dy ⊙ up) · gelu'(gate),
    /// d up = dy ⊙ gelu(gate).
    public func geGLU(gate: Variable, up: Variable) -> Variable {
        precondition(gate.shape == up.shape, "geGLU: shapes \(gate.shape) and \(up.shape) differ")
        let g = gate.value, u = up.value
        guard gate.requiresGradient || up.requiresGradient else {
            // Inference (prefill, decode): one fused pass over the pool, keeping nothing for a backward.
            return Variable(constant: elementwise(g, u) { tvb_geglu_forward($0, $1, $2, $3) })
        }
        let (activated, tanhValues) = geluTanhKeepingTanh(g)
        let y = zipMap(activated, u) { a, v in a * v }
        return record(y, inputs: [gate, up]) { dy in
            [geluTanhGradient(zipMap(dy, u) { d, v in d * v }, x: g, tanh: tanhValues),
             zipMap(dy, activated) { d, a in d * a }]
        }
    }
}

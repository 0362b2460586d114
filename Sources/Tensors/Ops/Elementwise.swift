// Elementwise operations on tensors of equal shape, and their gradients.
import CKernels
import Foundation

extension Tape {
    /// a + b (equal shapes), written once into a new tensor (a copy of a then an add in place
    /// went over the elements twice, on one thread).
    public func add(_ a: Variable, _ b: Variable) -> Variable {
        precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
        let y = elementwise(a.value, b.value) { y, a, b, count in
            for i in 0..<count { y[i] = a[i] + b[i] }
        }
        return record(y, inputs: [a, b]) { dy in [dy, dy] }
    }

    /// a - b (equal shapes).
    public func subtract(_ a: Variable, _ b: Variable) -> Variable {
        precondition(a.shape == b.shape, "subtract: shapes \(a.shape) and \(b.shape) differ")
        var y = a.value
        y.add(b.value, scaledBy: -1)
        return record(y, inputs: [a, b]) { dy in
            var negated = dy
            negated.scalars.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = -p[i] } }
            return [dy, negated]
        }
    }

    /// a ⊙ b (equal shapes).
    public func multiply(_ a: Variable, _ b: Variable) -> Variable {
        precondition(a.shape == b.shape, "multiply: shapes \(a.shape) and \(b.shape) differ")
        let av = a.value, bv = b.value
        let y = zipMap(av, bv) { $0 * $1 }
        return record(y, inputs: [a, b]) { dy in
            [zipMap(dy, bv) { $0 * $1 }, zipMap(dy, av) { $0 * $1 }]
        }
    }

    /// factor · a.
    public func scale(_ a: Variable, by factor: Float) -> Variable {
        let y = a.value.map { $0 * factor }
        return record(y, inputs: [a]) { dy in [dy.map { $0 * factor }] }
    }

    /// σ(a) = 1 / (1 + e^(−a)).
    public func sigmoid(_ a: Variable) -> Variable {
        let y = a.value.map(sigmoidScalar)
        return record(y, inputs: [a]) { dy in [zipMap(dy, y) { g, s in g * s * (1 - s) }] }
    }

    /// SiLU(a) = a · σ(a).
    public func silu(_ a: Variable) -> Variable {
        let av = a.value
        let y = av.map { $0 * sigmoidScalar($0) }
        return record(y, inputs: [a]) { dy in
            [zipMap(dy, av) { g, x in
                let s = sigmoidScalar(x)
                return g * s * (1 + x * (1 - s))
            }]
        }
    }

    /// GELU with the tanh approximation (GPT-2's `gelu_new`, Gemma's `gelu_pytorch_tanh`).
    public func geluTanh(_ a: Variable) -> Variable {
        let av = a.value
        let y = av.map(geluTanhScalar)
        return record(y, inputs: [a]) { dy in [zipMap(dy, av) { g, x in g * geluTanhDerivative(x) }] }
    }

    /// SwiGLU: silu(gate) ⊙ up, fused to save one pass and one allocation (vectorised in CKernels,
    /// σ through a polynomial exp with relative error < 2e-7).
    public func swiGLU(gate: Variable, up: Variable) -> Variable {
        precondition(gate.shape == up.shape, "swiGLU: shapes \(gate.shape) and \(up.shape) differ")
        let g = gate.value, u = up.value, count = g.count
        let y = elementwise(g, u) { tvb_swiglu_forward($0, $1, $2, $3) }
        return record(y, inputs: [gate, up]) { dy in
            var dUp = Tensor(shape: u.shape)
            let dGate = uninitializedTensor(g.shape) { dgp in
                dUp.scalars.withUnsafeMutableBufferPointer { dup in
                    dy.scalars.withUnsafeBufferPointer { dyp in
                        g.scalars.withUnsafeBufferPointer { gp in
                            u.scalars.withUnsafeBufferPointer { up in
                                tvb_swiglu_backward(dgp, dup.baseAddress!, dyp.baseAddress!, gp.baseAddress!, up.baseAddress!, count)
                            }
                        }
                    }
                }
            }
            return [dGate, dUp]
        }
    }

    /// Sum of all elements: shape [1].
    public func sum(_ a: Variable) -> Variable {
        let shape = a.shape
        let y = Tensor(shape: [1], scalars: [Float(a.value.sum())])
        return record(y, inputs: [a]) { dy in [Tensor(shape: shape, repeating: dy.scalars[0])] }
    }

    /// Mean of all elements: shape [1].
    public func mean(_ a: Variable) -> Variable {
        scale(sum(a), by: 1 / Float(max(1, a.value.count)))
    }
}

@inline(__always) public func sigmoidScalar(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

@inline(__always) public func geluTanhScalar(_ x: Float) -> Float {
    let c: Float = 0.7978845608028654  // sqrt(2/π)
    return 0.5 * x * (1 + tanhf(c * (x + 0.044715 * x * x * x)))
}

@inline(__always) func geluTanhDerivative(_ x: Float) -> Float {
    let c: Float = 0.7978845608028654
    let inner = c * (x + 0.044715 * x * x * x)
    let t = tanhf(inner)
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
}

extension Tensor {
    /// Applies `transform` to every element.
    public func map(_ transform: (Float) -> Float) -> Tensor {
        var out = self
        out.scalars.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = transform(p[i]) } }
        return out
    }
}

/// A new tensor y (shape of a) from `kernel(y, a, b, count)` run on aligned parts of the
/// elements, on the kernel pool for large tensors (`ParallelOutputs.forEachPart`): the forward
/// passes of addition, SwiGLU and GeGLU. - Precondition: a and b have equal counts.
func elementwise(
    _ a: Tensor, _ b: Tensor, _ kernel: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, Int) -> Void
) -> Tensor {
    precondition(a.count == b.count, "elementwise: \(a.count) and \(b.count) elements")
    let count = a.count
    return uninitializedTensor(a.shape) { y in
        a.scalars.withUnsafeBufferPointer { ap in
            b.scalars.withUnsafeBufferPointer { bp in
                guard let aBase = ap.baseAddress, let bBase = bp.baseAddress else { return }
                ParallelOutputs.forEachPart(units: count, unitSize: 1, alignment: 16) { range in
                    let first = range.lowerBound
                    kernel(y + first, aBase + first, bBase + first, range.count)
                }
            }
        }
    }
}

func zipMap(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    var out = a
    out.scalars.withUnsafeMutableBufferPointer { o in
        b.scalars.withUnsafeBufferPointer { bp in for i in 0..<o.count { o[i] = f(o[i], bp[i]) } }
    }
    return out
}

func zipMap3(_ a: Tensor, _ b: Tensor, _ c: Tensor, _ f: (Float, Float, Float) -> Float) -> Tensor {
    var out = a
    out.scalars.withUnsafeMutableBufferPointer { o in
        b.scalars.withUnsafeBufferPointer { bp in
            c.scalars.withUnsafeBufferPointer { cp in for i in 0..<o.count { o[i] = f(o[i], bp[i], cp[i]) } }
        }
    }
    return out
}

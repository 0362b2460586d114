import CKernels

// GELU-tanh over any shape with our own branch-free exp (the loops vectorise), and the tanh of
// the forward kept for the backward (no transcendental call in the gradient).

/// e^x for x in float range: x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite split of ln2), e^r by
/// its degree-6 Taylor polynomial (relative error < 2e-7 on that interval), times 2^n built in the
/// exponent bits. Inputs are clamped to [−87, 88], where e^x is a normal float. Branch-free and
/// call-free, so loops over it vectorise.
@inline(__always)
func fastExp(_ x: Float) -> Float {
    let clamped = min(max(x, -87), 88)
    // Adding 1.5·2^23 rounds to the nearest integer and leaves it in the low mantissa bits.
    let shifted = clamped * 1.442_695_04 + 12_582_912
    let n = shifted - 12_582_912
    let r = clamped - n * 0.693_145_75 - n * 1.428_606_8e-6
    var p: Float = 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let integer = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
    return p * Float(bitPattern: UInt32(bitPattern: (integer &+ 127) &<< 23))
}

/// tanh(c (x + 0.044715 x³)), GELU's inner tanh, as 1 − 2/(e^{2u} + 1): exact limits ±1 and an
/// absolute error near 1e-7 everywhere.
@inline(__always)
func geluInnerTanh(_ x: Float) -> Float {
    let u = 0.797_884_56 * (x + 0.044715 * x * x * x)
    return 1 - 2 / (fastExp(2 * u) + 1)
}

/// y = 0.5 x (1 + t), writing t = tanh(inner(x)) to `tanh` for the backward (`geluInnerTanh`,
/// vectorised in CKernels).
func geluTanhForward(_ y: UnsafeMutablePointer<Float>, tanh: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    tvb_gelu_tanh_forward(y, tanh, x, count)
}

/// dx = dy · (0.5 (1 + t) + 0.5 x (1 − t²) c (1 + 3·0.044715 x²)), given the forward's t.
func geluTanhBackward(_ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                      tanh t: UnsafePointer<Float>, count: Int) {
    tvb_gelu_tanh_backward(dx, dy, x, t, count)
}

extension Tape {
    /// GELU with the tanh approximation, like `geluTanh` (agreeing to about 1e-6 absolute), but
    /// vectorised and with the tanh saved for the backward.
    public func geluTanhFused(_ a: Variable) -> Variable {
        let count = a.value.count
        var tanhValues = [Float](repeating: 0, count: count)
        let y = uninitializedTensor(a.shape) { yp in
            tanhValues.withUnsafeMutableBufferPointer { tp in
                a.value.scalars.withUnsafeBufferPointer { xp in
                    geluTanhForward(yp, tanh: tp.baseAddress!, xp.baseAddress!, count: count)
                }
            }
        }
        guard a.requiresGradient else { return Variable(constant: y) }
        let x = a.value
        return record(y, inputs: [a]) { dy in
            let dx = uninitializedTensor(x.shape) { dxp in
                dy.scalars.withUnsafeBufferPointer { dyp in
                    x.scalars.withUnsafeBufferPointer { xp in
                        tanhValues.withUnsafeBufferPointer { tp in
                            geluTanhBackward(dxp, dyp.baseAddress!, xp.baseAddress!, tanh: tp.baseAddress!, count: count)
                        }
                    }
                }
            }
            return [dx]
        }
    }
}

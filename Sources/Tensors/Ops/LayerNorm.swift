// Shapes: N rows of C features. Weight and bias (C).
import Foundation

extension Tape {
    /// LayerNorm over the last dimension (GPT-2): (x − mean) / sqrt(var + eps) ⊙ w + b.
    public func layerNorm(_ x: Variable, weight: Variable, bias: Variable, epsilon: Float = 1e-5) -> Variable {
        let c = weight.value.count
        precondition(x.shape.last == c && bias.shape == [c], "layerNorm: input \(x.shape), weight \(weight.shape), bias \(bias.shape)")
        let n = x.value.count / c
        var y = Tensor(shape: x.shape)
        var normalized = [Float](repeating: 0, count: n * c)
        var rstd = [Float](repeating: 0, count: n)
        x.value.scalars.withUnsafeBufferPointer { xp in
            y.scalars.withUnsafeMutableBufferPointer { yp in
                for r in 0..<n {
                    var mean: Float = 0
                    for j in 0..<c { mean += xp[r * c + j] }
                    mean /= Float(c)
                    var variance: Float = 0
                    for j in 0..<c { let d = xp[r * c + j] - mean; variance += d * d }
                    let s = 1 / sqrtf(variance / Float(c) + epsilon)
                    rstd[r] = s
                    for j in 0..<c {
                        let h = (xp[r * c + j] - mean) * s
                        normalized[r * c + j] = h
                        yp[r * c + j] = h * weight.value.scalars[j] + bias.value.scalars[j]
                    }
                }
            }
        }
        let wv = weight.value
        let needsX = x.requiresGradient
        return record(y, inputs: [x, weight, bias]) { dy in
            var dx = Tensor(shape: [n, c]).reshaped(dy.shape)
            var dw = [Float](repeating: 0, count: c), db = [Float](repeating: 0, count: c)
            for r in 0..<n {
                // ∂L/∂x = s (g − mean(g) − ĥ mean(g ĥ)) with g = dy ⊙ w and ĥ the normalised input.
                var meanG: Float = 0, meanGH: Float = 0
                for j in 0..<c {
                    let g = dy.scalars[r * c + j] * wv.scalars[j]
                    meanG += g
                    meanGH += g * normalized[r * c + j]
                    dw[j] += dy.scalars[r * c + j] * normalized[r * c + j]
                    db[j] += dy.scalars[r * c + j]
                }
                meanG /= Float(c); meanGH /= Float(c)
                if needsX {
                    for j in 0..<c {
                        let g = dy.scalars[r * c + j] * wv.scalars[j]
                        dx.scalars[r * c + j] = rstd[r] * (g - meanG - normalized[r * c + j] * meanGH)
                    }
                }
            }
            return [needsX ? dx : nil, Tensor(shape: [c], scalars: dw), Tensor(shape: [c], scalars: db)]
        }
    }
}

// Shapes: logits (R, V), targets (R).
import Foundation

/// log softmax of one row, in place, computed stably.
public func logSoftmaxInPlace(_ row: UnsafeMutableBufferPointer<Float>) {
    var maximum = -Float.infinity
    for x in row { maximum = max(maximum, x) }
    var total: Double = 0
    for x in row { total += Double(expf(x - maximum)) }
    let logTotal = Float(log(total)) + maximum
    for i in 0..<row.count { row[i] -= logTotal }
}

extension Tape {
    /// log softmax over the last dimension.
    public func logSoftmax(_ logits: Variable) -> Variable {
        let v = logits.shape.last ?? 1
        let rows = logits.value.count / v
        var y = logits.value
        y.scalars.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows { logSoftmaxInPlace(UnsafeMutableBufferPointer(rebasing: p[(r * v)..<((r + 1) * v)])) }
        }
        let out = y
        return record(y, inputs: [logits]) { dy in
            // ∂/∂x_j = dy_j − softmax_j Σ_k dy_k
            var dx = dy
            for r in 0..<rows {
                var total: Float = 0
                for j in 0..<v { total += dy.scalars[r * v + j] }
                for j in 0..<v { dx.scalars[r * v + j] = dy.scalars[r * v + j] - expf(out.scalars[r * v + j]) * total }
            }
            return [dx]
        }
    }

    /// Per-row cross-entropy −log softmax(logits)[target]: shape (R).
    public func crossEntropy(logits: Variable, targets: [Int]) -> Variable {
        let v = logits.shape.last ?? 1
        let rows = logits.value.count / v
        precondition(targets.count == rows, "crossEntropy: \(targets.count) targets for \(rows) rows")
        var logProbabilities = logits.value
        logProbabilities.scalars.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows { logSoftmaxInPlace(UnsafeMutableBufferPointer(rebasing: p[(r * v)..<((r + 1) * v)])) }
        }
        let losses = (0..<rows).map { r -> Float in
            precondition(targets[r] >= 0 && targets[r] < v, "crossEntropy: target \(targets[r]) outside \(v)")
            return -logProbabilities.scalars[r * v + targets[r]]
        }
        let shape = logits.shape
        return record(Tensor(shape: [rows], scalars: losses), inputs: [logits]) { dy in
            // ∂loss_r/∂x_j = softmax_j − [j = target]
            var dx = Tensor(shape: shape)
            for r in 0..<rows {
                let g = dy.scalars[r]
                for j in 0..<v { dx.scalars[r * v + j] = g * expf(logProbabilities.scalars[r * v + j]) }
                dx.scalars[r * v + targets[r]] -= g
            }
            return [dx]
        }
    }
}

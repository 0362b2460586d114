// Shape legend: T tasks, R rows of a forward call, L layers, H heads, D model dim.
import Tensors

/// The steering vectors of learned task vectors: v_l = Σ_h w[l, h] · P[l, h], one per layer.
enum LTVVectors {
    /// Per layer l, the (R, D) value to add at `.residual(layer: l)`, R = Σ rowsPerTask: a block
    /// of `rowsPerTask[t]` equal rows w_t[l] · P_t[l] per task, in task order.
    /// - Parameters:
    ///   - weights: (T·L, H); row t·L + l is task t's w[l].
    ///   - transposedProjections: [t][l], P_t[l]ᵀ as (D, H) constants, so that
    ///     `linear(w_t[l] (1, H), weight: P_t[l]ᵀ)` is w_t[l] · P_t[l] (1, D).
    static func layerVectors(
        tape: Tape, weights: Variable, transposedProjections: [[Variable]], rowsPerTask: [Int]
    ) -> [Variable] {
        let t = transposedProjections.count, l = transposedProjections.first?.count ?? 0
        precondition(weights.shape[0] == t * l && rowsPerTask.count == t,
                     "layerVectors: weights \(weights.shape) for \(t) tasks of \(l) layers, \(rowsPerTask.count) row counts")
        return (0..<l).map { layer in
            let blocks = (0..<t).filter { rowsPerTask[$0] > 0 }.map { task -> Variable in
                let v = tape.linear(tape.rows(weights, [task * l + layer]), weight: transposedProjections[task][layer])
                return rowsPerTask[task] == 1 ? v : tape.broadcastRows(v, count: rowsPerTask[task])
            }
            return tape.stackRows(blocks)
        }
    }

    /// v_l = Σ_h w[l, h] · P[l, h] for every layer, without a tape, summed in head order: (L, D).
    /// What the regression steering evaluates (its stored results were computed this way);
    /// `layerVectors` gives the same on a tape through a matrix product, whose rounding differs.
    /// - Parameters:
    ///   - weights: w (L, H).
    ///   - projected: P (L, H, D).
    static func vectors(weights: Tensor, projected: Tensor) -> Tensor {
        precondition(projected.rank == 3 && weights.shape == Array(projected.shape.prefix(2)),
                     "vectors: w \(weights.shape) for P \(projected.shape)")
        let l = projected.shape[0], h = projected.shape[1], d = projected.shape[2]
        var vectors = [Float](repeating: 0, count: l * d)
        for layer in 0..<l {
            for head in 0..<h {
                let w = weights.scalars[layer * h + head]
                for i in 0..<d { vectors[layer * d + i] += w * projected.scalars[(layer * h + head) * d + i] }
            }
        }
        return Tensor(shape: [l, d], scalars: vectors)
    }

    /// P (L, H, D) as L constants P[l]ᵀ (D, H).
    static func transposedProjections(_ projected: Tensor) -> [Variable] {
        precondition(projected.rank == 3, "transposedProjections: P must be (L, H, D), got \(projected.shape)")
        let l = projected.shape[0], h = projected.shape[1], d = projected.shape[2]
        return (0..<l).map { layer in
            var transposed = [Float](repeating: 0, count: d * h)
            projected.scalars.withUnsafeBufferPointer { p in
                for head in 0..<h {
                    for i in 0..<d { transposed[i * h + head] = p[(layer * h + head) * d + i] }
                }
            }
            return Variable(constant: Tensor(shape: [d, h], scalars: transposed))
        }
    }
}

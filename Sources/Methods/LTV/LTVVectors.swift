// Shape legend: T tasks, R rows of a forward call, L layers, H heads, D model dim.
import Models
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

    /// The plan parameter (or constant) holding w (T·L, H).
    static let weightsName = "ltv_weights"

    /// The name of task t's P_t[l] (H, D) in a plan.
    static func projectionName(task: Int, layer: Int) -> String { "ltv_projection.\(task).\(layer)" }

    /// Every task's P_t (L, H, D) as plan constants P_t[l] (H, D).
    static func projectionConstants(_ projected: [Tensor]) -> [String: Tensor] {
        var constants = [String: Tensor]()
        for (task, p) in projected.enumerated() {
            precondition(p.rank == 3, "projectionConstants: P must be (L, H, D), got \(p.shape)")
            let l = p.shape[0], size = p.shape[1] * p.shape[2]
            for layer in 0..<l {
                constants[projectionName(task: task, layer: layer)] = Tensor(
                    shape: [p.shape[1], p.shape[2]], scalars: Array(p.scalars[(layer * size)..<((layer + 1) * size)]))
            }
        }
        return constants
    }

    /// The backend plan of `layerVectors`: per layer l, `.add` at `.residual(layer: l)` of a
    /// block of `rowsPerTask[t]` rows w_t[l] · P_t[l] per task (the native engine evaluates it
    /// with the same tape operations as `layerVectors`).
    /// - Parameters:
    ///   - weights: w (T·L, H), the plan's parameter when `asParameter` (its gradient is asked), else a constant.
    ///   - projections: `projectionConstants` of the T tasks.
    static func plan(
        weights: Tensor, asParameter: Bool, projections: [String: Tensor], layers l: Int, rowsPerTask: [Int]
    ) -> InterventionPlan {
        let t = rowsPerTask.count
        precondition(weights.rank == 2 && weights.shape[0] == t * l, "LTV plan: weights \(weights.shape) for \(t) tasks of \(l) layers")
        let requests = (0..<l).map { layer in
            let parts = (0..<t).map { task in
                InterventionValue.weightedSum(
                    weights: .gather(.named(weightsName), rows: [task * l + layer]),
                    vectors: .named(projectionName(task: task, layer: layer)))
            }
            return InterventionRequest(.residual(layer: layer), .add(.stack(parts, repeats: rowsPerTask)))
        }
        var inputs = InterventionInputs(constants: projections)
        if asParameter { inputs.parameters[weightsName] = weights } else { inputs.constants[weightsName] = weights }
        return InterventionPlan(requests, inputs: inputs)
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

// Mixture-of-experts routing (Mixtral): choosing each token's experts, weighting an expert's
// output rows and adding them back. Shapes: N tokens, E experts, D model dim, R rows routed to
// one expert.
import Foundation

/// Each token's experts and their weights.
public struct ExpertRouting {
    /// (N, E): the softmax over each token's top-k router logits, 0 for the other experts.
    public let weights: Variable
    /// The experts chosen for each token.
    public let choices: [[Int]]

    /// Tokens routed to `expert`, ascending.
    public func rows(of expert: Int) -> [Int] {
        choices.indices.filter { choices[$0].contains(expert) }
    }
}

extension Tape {
    /// Picks the k largest router logits of each row (N, E) and softmaxes over them, which is
    /// softmax over all experts renormalised to the chosen ones (Mixtral's routing).
    /// Backward: softmax's, restricted to the chosen entries (the others get no gradient).
    /// - Precondition: logits are (N, E) and 1 ≤ k ≤ E.
    public func topKRouting(_ logits: Variable, expertsPerToken k: Int) -> ExpertRouting {
        precondition(logits.value.rank == 2 && k >= 1 && k <= logits.shape[1],
                     "topKRouting: logits \(logits.shape) with \(k) experts per token")
        let e = logits.shape[1], n = logits.shape[0]
        var weights = Tensor(shape: [n, e])
        var choices = [[Int]]()
        for r in 0..<n {
            let row = Array(logits.value.scalars[(r * e)..<((r + 1) * e)])
            // Ties go to the lower index, as torch.topk does on CPU for distinct values.
            let chosen = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }.prefix(k)
            let maximum = chosen.map { row[$0] }.max() ?? 0
            let total = chosen.reduce(Float(0)) { $0 + expf(row[$1] - maximum) }
            for j in chosen { weights.scalars[r * e + j] = expf(row[j] - maximum) / total }
            choices.append(Array(chosen))
        }
        let w = weights
        let variable = record(weights, inputs: [logits]) { dy in
            // Softmax backward restricted to the chosen entries: dx_j = w_j (dy_j − Σ_i w_i dy_i).
            var dx = Tensor(shape: [n, e])
            for r in 0..<n {
                var dot: Float = 0
                for j in 0..<e { dot += w.scalars[r * e + j] * dy.scalars[r * e + j] }
                for j in 0..<e where w.scalars[r * e + j] != 0 {
                    dx.scalars[r * e + j] = w.scalars[r * e + j] * (dy.scalars[r * e + j] - dot)
                }
            }
            return [dx]
        }
        return ExpertRouting(weights: variable, choices: choices)
    }

    /// y (R, D) with row i scaled by weights[rows[i], column]; weights (N, E).
    /// - Precondition: y has one row per entry of `rows`; the rows are distinct and, like
    ///   `column`, inside weights.
    public func scaleRows(_ y: Variable, by weights: Variable, column: Int, rows: [Int]) -> Variable {
        precondition(y.value.rank == 2 && y.shape[0] == rows.count && weights.value.rank == 2
                     && (0..<weights.shape[1]).contains(column) && rows.allSatisfy { (0..<weights.shape[0]).contains($0) },
                     "scaleRows: y \(y.shape) for \(rows.count) rows, weights \(weights.shape), column \(column)")
        precondition(Set(rows).count == rows.count, "scaleRows: repeated row index")
        let d = y.shape[1], e = weights.shape[1]
        var out = y.value
        for (i, r) in rows.enumerated() {
            let s = weights.value.scalars[r * e + column]
            for j in 0..<d { out.scalars[i * d + j] *= s }
        }
        let yv = y.value, wv = weights.value, wShape = weights.shape
        return record(out, inputs: [y, weights]) { dy in
            var dyOut = dy
            var dw = Tensor(shape: wShape)
            for (i, r) in rows.enumerated() {
                let s = wv.scalars[r * e + column]
                var dot: Float = 0
                for j in 0..<d {
                    dot += dy.scalars[i * d + j] * yv.scalars[i * d + j]
                    dyOut.scalars[i * d + j] *= s
                }
                dw.scalars[r * e + column] = dot
            }
            return [dyOut, dw]
        }
    }

    /// base (N, D) with `values` (R, D) added to the rows `rows`.
    /// - Precondition: values has one row per entry of `rows`, as wide as base; rows lie inside base.
    public func addingRows(_ base: Variable, _ rows: [Int], _ values: Variable) -> Variable {
        precondition(base.value.rank == 2 && values.shape == [rows.count, base.shape[1]]
                     && rows.allSatisfy { (0..<base.shape[0]).contains($0) },
                     "addingRows: base \(base.shape), values \(values.shape) for \(rows.count) rows")
        let d = base.shape[1]
        var out = base.value
        for (i, r) in rows.enumerated() { for j in 0..<d { out.scalars[r * d + j] += values.value.scalars[i * d + j] } }
        return record(out, inputs: [base, values]) { dy in
            var dv = Tensor(shape: [rows.count, d])
            for (i, r) in rows.enumerated() { for j in 0..<d { dv.scalars[i * d + j] = dy.scalars[r * d + j] } }
            return [dy, dv]
        }
    }
}

// Shape legend: B rows of a batch, L layers, H heads, Dh head dim, A sets of mixing weights.
import Models
import Tensors

/// SITE's soft injection as interventions: at the last token, every layer's heads of each batch
/// row are mixed towards that row's task embedding, a ← (1 − α) a + α t per head, with that row's
/// α. The one place that lays out the batch rows of `.mixHeads`: SITE training (α on a tape) and
/// inference, the head analysis, the regression transformer and `bench perf` all build them here.
public enum SoftInjectionInterventions {
    /// The task embedding and the set of mixing weights that steer one batch row.
    public struct Row: Sendable, Equatable {
        /// Index into the embeddings.
        public var embedding: Int
        /// Index of the weight set: rows weights·L ..< (weights + 1)·L of the stacked weights.
        public var weights: Int

        public init(embedding: Int, weights: Int) {
            self.embedding = embedding
            self.weights = weights
        }
    }

    /// - Parameters:
    ///   - embeddings: task embeddings, each (L, H·Dh).
    ///   - weights: A sets of α in [0, 1] stacked as (A·L, H): row a·L + l is set a at layer l.
    ///     A constant, or tracked on `tape`: each layer selects its rows with `tape.rows`, so the
    ///     gradient flows back to the stacked weights.
    ///   - rows: the B rows of the batch, in order.
    /// - Returns: per layer l, `.mixHeads` at `.attentionHeads(layer: l)` with target (B, H·Dh)
    ///   and weights (B, H).
    /// - Precondition: at least one embedding, all of one shape; weights of L·A rows of H columns
    ///   with H dividing H·Dh; every row's indices in range.
    public static func make(embeddings: [Tensor], weights: Variable, rows: [Row], tape: Tape) -> [Intervention] {
        precondition(!embeddings.isEmpty && embeddings.allSatisfy { $0.rank == 2 && $0.shape == embeddings[0].shape },
                     "SoftInjectionInterventions: embeddings \(embeddings.map(\.shape))")
        let l = embeddings[0].shape[0], width = embeddings[0].shape[1]
        precondition(weights.value.rank == 2 && l > 0 && weights.shape[0] % l == 0 && weights.shape[1] > 0
                     && width % weights.shape[1] == 0,
                     "SoftInjectionInterventions: weights \(weights.shape) for embeddings (\(l), \(width))")
        let sets = weights.shape[0] / l
        precondition(rows.allSatisfy { embeddings.indices.contains($0.embedding) && (0..<sets).contains($0.weights) },
                     "SoftInjectionInterventions: a row outside \(embeddings.count) embeddings and \(sets) weight sets")
        return (0..<l).map { layer in
            var target = [Float]()
            target.reserveCapacity(rows.count * width)
            for row in rows { target += embeddings[row.embedding].row(layer) }
            return Intervention(.attentionHeads(layer: layer), .mixHeads(
                target: Variable(constant: Tensor(shape: [rows.count, width], scalars: target)),
                weights: tape.rows(weights, rows.map { $0.weights * l + layer })))
        }
    }

    /// The same as a backend's plan, with α = sigmoid(`logits`): constants "embeddings" (the
    /// embeddings stacked, (E·L, H·Dh)) and, as a parameter when `trained` (else a constant),
    /// "alpha_logits" (A·L, H); each layer gathers its rows of both.
    /// - Precondition: as for `make`.
    public static func plan(embeddings: [Tensor], logits: Tensor, rows: [Row], trained: Bool) -> InterventionPlan {
        precondition(!embeddings.isEmpty && embeddings.allSatisfy { $0.rank == 2 && $0.shape == embeddings[0].shape },
                     "SoftInjectionInterventions: embeddings \(embeddings.map(\.shape))")
        let l = embeddings[0].shape[0], width = embeddings[0].shape[1]
        precondition(logits.rank == 2 && l > 0 && logits.shape[0] % l == 0 && logits.shape[1] > 0 && width % logits.shape[1] == 0,
                     "SoftInjectionInterventions: logits \(logits.shape) for embeddings (\(l), \(width))")
        let sets = logits.shape[0] / l
        precondition(rows.allSatisfy { embeddings.indices.contains($0.embedding) && (0..<sets).contains($0.weights) },
                     "SoftInjectionInterventions: a row outside \(embeddings.count) embeddings and \(sets) weight sets")
        let stacked = Tensor(shape: [embeddings.count * l, width], scalars: embeddings.flatMap(\.scalars))
        let requests = (0..<l).map { layer in
            InterventionRequest(.attentionHeads(layer: layer), .mixHeads(
                target: .gather(.named("embeddings"), rows: rows.map { $0.embedding * l + layer }),
                weights: .gather(.sigmoid(.named("alpha_logits")), rows: rows.map { $0.weights * l + layer })))
        }
        let inputs = trained
            ? InterventionInputs(constants: ["embeddings": stacked], parameters: ["alpha_logits": logits])
            : InterventionInputs(constants: ["embeddings": stacked, "alpha_logits": logits])
        return InterventionPlan(requests, inputs: inputs)
    }

    /// One task embedding (L, H·Dh) mixed with one α (L, H) into all `batchSize` rows: what SITE
    /// applies at inference.
    public static func make(embedding: Tensor, alphas: Tensor, batchSize: Int) -> [Intervention] {
        make(embeddings: [embedding], weights: Variable(constant: alphas),
             rows: Array(repeating: Row(embedding: 0, weights: 0), count: batchSize), tape: Tape())
    }
}

// Shape legend: B sequences, D model dim, V vocab, L layers.
import Tensors

extension Decoder {
    /// Runs one new token per sequence from the residual stream entering `layer` (the output of
    /// layer − 1, as `.residual(layer: layer − 1)` captures it) instead of from its embedding:
    /// layers 0 ..< `layer` are skipped, layers `layer` ..< L append the token's keys and values.
    /// For a token whose earlier layers are known not to change (a patch at `layer` or later),
    /// this gives what `forward` gives, up to float rounding, at the cost of the later layers.
    ///
    /// - Parameters:
    ///   - residual: (B, D), one row per sequence.
    ///   - layer: the first layer run, 0 ..< L.
    ///   - caches: B caches, each holding the sequence's earlier tokens in every layer; the new
    ///     token's position is the cache's count. Afterwards layers ≥ `layer` hold one more token
    ///     (truncate them back to rerun).
    /// - Precondition: the shapes above; interventions only at sites of layers ≥ `layer`.
    public func forward(
        residual: Tensor, fromLayer layer: Int, caches: [KVCache], tape: Tape = Tape(),
        interventions: [Intervention] = [], logits logitRows: LogitRows = .last
    ) -> Output {
        let c = configuration, b = caches.count
        precondition(layer >= 0 && layer < c.layerCount, "forward(fromLayer:): layer \(layer) outside \(c.layerCount) layers")
        precondition(residual.shape == [b, c.hiddenSize], "forward(fromLayer:): residual \(residual.shape) for \(b) sequences of D \(c.hiddenSize)")
        precondition(interventions.allSatisfy { $0.site.layer >= layer }, "forward(fromLayer:): an intervention before layer \(layer)")
        return forward(
            Variable(constant: residual), layers: layer..<c.layerCount, rowStarts: Array(0..<b),
            lengths: [Int](repeating: 1, count: b), positions: caches.map(\.count), caches: caches, tape: tape,
            interventions: interventions, logits: logitRows)
    }
}

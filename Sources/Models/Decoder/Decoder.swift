// Shape legend: B sequences, N new tokens of all sequences together, D model dim, H heads,
// Hkv KV heads, Dh head dim, F FFN dim, V vocab, L layers.
import Tensors

/// The one decoder-only transformer behind every model family. Families differ only in their
/// `DecoderConfiguration` and in how their checkpoints' tensors map onto `DecoderWeights`.
public struct Decoder: Sendable {
    public let configuration: DecoderConfiguration
    public let weights: DecoderWeights

    /// - Throws: `ModelLoadError` when the configuration is inconsistent or a tensor has the wrong shape.
    public init(configuration: DecoderConfiguration, weights: DecoderWeights) throws {
        try configuration.validate()
        try weights.validate(against: configuration)
        self.configuration = configuration
        self.weights = weights
    }

    /// An empty cache for one sequence.
    public func makeCache() -> KVCache {
        KVCache(layers: configuration.layerCount, width: configuration.keyValueWidth)
    }

    /// Which positions get logits.
    public enum LogitRows: Sendable {
        case none
        /// The last new token of every sequence: (B, V).
        case last
        /// Every new token, sequence after sequence: (N, V).
        case all
    }

    /// What a forward call returns.
    public struct Output {
        /// Logits at the requested rows; on the tape, so a loss built from them differentiates
        /// back to intervention parameters. Nil for `.none`.
        public var logits: Variable?
        /// Values recorded by `.capture` interventions: (B, width of the site).
        public var captures: [InterventionSite: Tensor]
    }

    /// Runs the new `tokens` of every sequence on top of its cache, appending their keys and values.
    ///
    /// - Parameters:
    ///   - tokens: B sequences of new token ids (each non-empty).
    ///   - caches: B caches, one per sequence; positions continue from each cache's count.
    ///   - tape: records the operations that depend on parameters of `interventions`.
    ///   - interventions: applied in order at their sites.
    ///   - logits: rows that get logits.
    public func forward(
        _ tokens: [[Int]], caches: [KVCache], tape: Tape = Tape(),
        interventions: [Intervention] = [], logits logitRows: LogitRows = .last
    ) -> Output {
        let c = configuration
        precondition(tokens.count == caches.count, "forward: \(tokens.count) sequences, \(caches.count) caches")
        precondition(tokens.allSatisfy { !$0.isEmpty }, "forward: a sequence has no new tokens")
        var rowStarts = [Int](), positions = [Int](), flatIds = [Int]()
        for (b, sequence) in tokens.enumerated() {
            rowStarts.append(flatIds.count)
            let start = caches[b].count
            positions.append(contentsOf: start..<(start + sequence.count))
            flatIds.append(contentsOf: sequence)
        }
        let embedded = tape.embedding(weights.tokenEmbedding, ids: flatIds, scale: c.embeddingScale)
        return forward(
            embedded, layers: 0..<c.layerCount, rowStarts: rowStarts, lengths: tokens.map(\.count), positions: positions,
            caches: caches, tape: tape, interventions: interventions, logits: logitRows)
    }

    /// The part every forward shares: `layers` over x (N, D), then the final norm and the logits.
    /// x holds the new rows of B sequences one after another: sequence b has `lengths[b]` rows
    /// from row `rowStarts[b]`; `positions[i]` is the position of row i.
    func forward(
        _ x: Variable, layers: Range<Int>, rowStarts: [Int], lengths: [Int], positions: [Int], caches: [KVCache],
        tape: Tape, interventions: [Intervention], logits logitRows: LogitRows
    ) -> Output {
        let c = configuration
        var context = InterventionContext(
            interventions: interventions, rowStarts: rowStarts, lengths: lengths, headDimensions: c.headDimensions)
        var tables = RotaryTables(positions: positions)
        var h = x
        for layer in layers {
            let rope = c.rotary(layer: layer)
            h = layerForward(h, layer: layer, rope: rope, table: tables.table(for: rope), rowStarts: rowStarts,
                             lengths: lengths, caches: caches, tape: tape, context: &context)
        }

        var output = Output(logits: nil, captures: context.captures)
        switch logitRows {
        case .none:
            return output
        case .last:
            // With one new token per sequence, h already holds exactly the last rows.
            if lengths.contains(where: { $0 != 1 }) {
                h = tape.rows(h, rowStarts.indices.map { rowStarts[$0] + lengths[$0] - 1 })
            }
        case .all:
            break
        }
        let normed = tape.rmsNorm(h, weight: Variable(constant: weights.finalNorm), epsilon: c.normEpsilon, offset: c.normWeightOffset)
        output.logits = tape.linear(normed, weight: weights.outputProjection ?? weights.tokenEmbedding)
        return output
    }

    /// One block: x (N, D) → (N, D), appending this layer's keys and values to the caches.
    func layerForward(
        _ x: Variable, layer: Int, rope: RotaryEmbedding, table: RotaryTable, rowStarts: [Int], lengths: [Int],
        caches: [KVCache], tape: Tape, context: inout InterventionContext
    ) -> Variable {
        let c = configuration, w = weights.layers[layer]
        let n = table.rows
        func constant(_ t: Tensor) -> Variable { Variable(constant: t) }
        func norm(_ v: Variable, _ weight: Tensor) -> Variable {
            tape.rmsNorm(v, weight: constant(weight), epsilon: c.normEpsilon, offset: c.normWeightOffset)
        }

        let a = norm(x, w.attentionNorm)
        var q = tape.linear(a, weight: w.queryProjection)   // (N, H·Dh)
        var k = tape.linear(a, weight: w.keyProjection)     // (N, Hkv·Dh)
        let v = tape.linear(a, weight: w.valueProjection)   // (N, Hkv·Dh)
        if let qn = w.queryNorm, let kn = w.keyNorm {
            q = tape.reshape(norm(tape.reshape(q, [n * c.attentionHeads, c.headDimensions]), qn), [n, c.attentionWidth])
            k = tape.reshape(norm(tape.reshape(k, [n * c.keyValueHeads, c.headDimensions]), kn), [n, c.keyValueWidth])
        }
        q = tape.rotary(q, rope, heads: c.attentionHeads, table: table)
        k = tape.rotary(k, rope, heads: c.keyValueHeads, table: table)

        var sequences = [AttentionSequence]()
        sequences.reserveCapacity(caches.count)
        let width = c.keyValueWidth
        for (b, cache) in caches.enumerated() {
            let rows = rowStarts[b]..<(rowStarts[b] + lengths[b])
            cache.keys[layer].append(contentsOf: k.value.scalars[(rows.lowerBound * width)..<(rows.upperBound * width)])
            cache.values[layer].append(contentsOf: v.value.scalars[(rows.lowerBound * width)..<(rows.upperBound * width)])
            sequences.append(AttentionSequence(rows: rows, keys: cache.keys[layer], values: cache.values[layer]))
        }
        var heads = tape.attention(query: q, key: k, value: v, sequences: sequences, geometry: c.attentionGeometry(layer: layer))
        heads = context.intervene(at: .attentionHeads(layer: layer), heads, tape: tape)

        var attentionOut = tape.linear(heads, weight: w.outputProjection)
        if let post = w.postAttentionNorm { attentionOut = norm(attentionOut, post) }
        var h = tape.add(x, attentionOut)

        var mlpOut = feedForward(norm(h, w.feedForwardNorm), w.feedForward, tape: tape)
        if let post = w.postFeedForwardNorm { mlpOut = norm(mlpOut, post) }
        h = tape.add(h, mlpOut)
        return context.intervene(at: .residual(layer: layer), h, tape: tape)
    }

    /// The MLP (or mixture of experts) of a layer: (N, D) → (N, D).
    func feedForward(_ x: Variable, _ weights: FeedForwardWeights, tape: Tape) -> Variable {
        switch weights {
        case .dense(let mlp):
            return gatedMLP(x, mlp, tape: tape)
        case .mixture(let router, let experts):
            let k = configuration.mixtureOfExperts?.expertsPerToken ?? 2
            let routing = tape.topKRouting(tape.linear(x, weight: router), expertsPerToken: k)
            var out = Variable(constant: Tensor(shape: x.shape))
            for (e, expert) in experts.enumerated() {
                let rows = routing.rows(of: e)
                if rows.isEmpty { continue }
                let y = gatedMLP(tape.rows(x, rows), expert, tape: tape)
                out = tape.addingRows(out, rows, tape.scaleRows(y, by: routing.weights, column: e, rows: rows))
            }
            return out
        }
    }

    func gatedMLP(_ x: Variable, _ mlp: GatedMLPWeights, tape: Tape) -> Variable {
        let gate = tape.linear(x, weight: mlp.gate)
        let up = tape.linear(x, weight: mlp.up)
        let hidden = configuration.activation == .silu ? tape.swiGLU(gate: gate, up: up) : tape.geGLU(gate: gate, up: up)
        return tape.linear(hidden, weight: mlp.down)
    }
}

/// Interventions of one forward call, grouped by site, and what they captured.
struct InterventionContext {
    private var bySite: [InterventionSite: [Intervention]] = [:]
    let rowStarts: [Int]
    let lengths: [Int]
    let headDimensions: Int
    var captures: [InterventionSite: Tensor] = [:]

    init(interventions: [Intervention], rowStarts: [Int], lengths: [Int], headDimensions: Int) {
        for i in interventions { bySite[i.site, default: []].append(i) }
        self.rowStarts = rowStarts
        self.lengths = lengths
        self.headDimensions = headDimensions
    }

    func rows(for position: InterventionPosition) -> [Int] {
        switch position {
        case .last:
            return rowStarts.indices.map { rowStarts[$0] + lengths[$0] - 1 }
        case .indices(let indices):
            precondition(indices.count == rowStarts.count, "intervention: \(indices.count) positions for \(rowStarts.count) sequences")
            return indices.enumerated().map { b, i in
                precondition(i >= 0 && i < lengths[b], "intervention: position \(i) outside the \(lengths[b]) new tokens of sequence \(b)")
                return rowStarts[b] + i
            }
        }
    }

    mutating func intervene(at site: InterventionSite, _ x: Variable, tape: Tape) -> Variable {
        guard let list = bySite[site] else { return x }
        var x = x
        for intervention in list {
            let rows = rows(for: intervention.position)
            let selected = tape.rows(x, rows)
            if case .capture = intervention.action {
                captures[site] = selected.value
                continue
            }
            x = tape.replacingRows(x, rows, with: tape.apply(intervention.action, to: selected, headDimensions: headDimensions))
        }
        return x
    }
}

/// One cos/sin table per distinct rotary embedding of a forward (Gemma alternates local and
/// global ones), computed on first use.
struct RotaryTables {
    let positions: [Int]
    private var tables: [(embedding: RotaryEmbedding, table: RotaryTable)] = []

    init(positions: [Int]) { self.positions = positions }

    mutating func table(for rope: RotaryEmbedding) -> RotaryTable {
        if let known = tables.first(where: { $0.embedding == rope }) { return known.table }
        let table = rope.table(positions: positions)
        tables.append((rope, table))
        return table
    }
}

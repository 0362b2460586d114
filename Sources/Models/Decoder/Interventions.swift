// Shape legend: B sequences in the call, D model dim, H heads, Dh head dim.
// An intervention acts on ONE row per sequence (the token at `position`); every value it carries
// has one row per sequence, so each sequence of a batch can carry its own task embedding,
// weights or vectors.
import Tensors

/// A named place in the decoder where a method may read or write activations. Each family places
/// its sites at the same logical point.
public enum InterventionSite: Hashable, Sendable, CustomStringConvertible {
    /// Per-head attention output before the output projection, seen as (B, H·Dh): head h is
    /// columns h·Dh ..< (h+1)·Dh.
    case attentionHeads(layer: Int)
    /// The residual stream after `layer` (its output, the next layer's input), (B, D).
    case residual(layer: Int)

    public var layer: Int {
        switch self {
        case .attentionHeads(let l), .residual(let l): return l
        }
    }

    public var description: String {
        switch self {
        case .attentionHeads(let l): return "attention-heads[\(l)]"
        case .residual(let l): return "residual[\(l)]"
        }
    }
}

/// Which token of each sequence an intervention acts on.
public enum InterventionPosition: Sendable, Equatable {
    /// The last new token of every sequence in the call.
    case last
    /// For each sequence, an index into that sequence's new tokens of the call.
    case indices([Int])
}

/// What an intervention does at its site.
public enum InterventionAction {
    /// Records the value at the site (after earlier interventions at the same site) into `captures`.
    case capture
    /// a ← (1 − w) ⊙ a + w ⊙ t per head (SITE): target (B, H·Dh), weights (B, H) in [0, 1].
    /// Only at `.attentionHeads`.
    case mixHeads(target: Variable, weights: Variable)
    /// Replaces head `heads[b]` of sequence b by `value` row b (B, Dh); a head index of −1 leaves
    /// that sequence alone. Only at `.attentionHeads`.
    case replaceHead(heads: [Int], value: Variable)
    /// Adds `value` (B, width of the site).
    case add(Variable)
    /// Replaces the site's value by `value` (B, width of the site).
    case replace(Variable)
}

/// One intervention: a site, a position and an action.
public struct Intervention {
    public var site: InterventionSite
    public var position: InterventionPosition
    public var action: InterventionAction

    public init(_ site: InterventionSite, at position: InterventionPosition = .last, _ action: InterventionAction) {
        self.site = site
        self.position = position
        self.action = action
    }
}

extension Tape {
    /// Applies `action` to `rows` (B, W), the site's rows at the intervention positions.
    func apply(_ action: InterventionAction, to rows: Variable, headDimensions dh: Int) -> Variable {
        switch action {
        case .capture:
            return rows
        case .mixHeads(let target, let weights):
            return mixHeads(rows, target: target, weights: weights)
        case .add(let value):
            precondition(value.shape == rows.shape, "add intervention: value \(value.shape) for rows \(rows.shape)")
            return add(rows, value)
        case .replace(let value):
            precondition(value.shape == rows.shape, "replace intervention: value \(value.shape) for rows \(rows.shape)")
            return value
        case .replaceHead(let heads, let value):
            let b = rows.shape[0], width = rows.shape[1]
            precondition(heads.count == b && value.shape == [b, dh], "replaceHead: \(heads.count) heads, value \(value.shape) for \(b) rows of Dh \(dh)")
            // View the rows as (B·H, Dh) and swap in one head row per sequence.
            let perHead = reshape(rows, [b * (width / dh), dh])
            let chosen = heads.enumerated().filter { $0.element >= 0 }
            precondition(chosen.allSatisfy { $0.element < width / dh }, "replaceHead: head index out of range")
            guard !chosen.isEmpty else { return rows }
            let targetRows = chosen.map { $0.offset * (width / dh) + $0.element }
            let values = chosen.count == b ? value : self.rows(value, chosen.map(\.offset))
            return reshape(replacingRows(perHead, targetRows, with: values), [b, width])
        }
    }
}

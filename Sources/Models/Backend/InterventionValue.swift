// Shape legend: B sequences of a call, W width of a site (H·Dh or D), H heads, Dh head dim, L layers.
import Tensors

/// A value an intervention carries, written as an expression over named tensors, so that every
/// backend can evaluate it where its model runs: the native engine on its tape, the torch worker
/// under autograd (torch_worker/PROTOCOL.md, "Values"). Names refer to an `InterventionInputs`'
/// constants or parameters; gradients flow from a loss back to the parameters through the
/// expression.
public indirect enum InterventionValue: Sendable, Equatable {
    /// The constant or parameter of that name, whole.
    case named(String)
    /// x[i₀][i₁]…: the leading indices drop leading dimensions (row l of an (L, H) tensor is (H,)).
    case element(InterventionValue, index: [Int])
    /// Rows `rows` of x (N, …) stacked: (R, …), a row may repeat. One row per sequence of a batch.
    case gather(InterventionValue, rows: [Int])
    /// The element-wise logistic function.
    case sigmoid(InterventionValue)
    /// Σ_h w[…, h] · v[h, :] with w (H,) or (R, H) and v (H, W): (W,) or (R, W).
    case weightedSum(weights: InterventionValue, vectors: InterventionValue)
    /// Blocks of rows: part i, one row (W,) or (1, W), repeated `repeats[i]` times, the blocks
    /// one after another: (Σ repeats, W). One block per task of a batch that mixes tasks (LTV).
    case stack([InterventionValue], repeats: [Int])
}

/// The tensors an intervention list's values refer to, by name.
public struct InterventionInputs: Sendable {
    /// Fixed tensors (task embeddings, projected head means, …).
    public var constants: [String: Tensor]
    /// Tensors the last-token loss is differentiated against (SITE's α logits, LTV's weights).
    public var parameters: [String: Tensor]

    public init(constants: [String: Tensor] = [:], parameters: [String: Tensor] = [:]) {
        self.constants = constants
        self.parameters = parameters
    }

    /// The tensor of `name`, a parameter or a constant.
    public subscript(name: String) -> Tensor? { parameters[name] ?? constants[name] }
}

/// What an intervention does at its site, with values as expressions. A value of one row (W,)
/// is used for every sequence; otherwise it has one row per sequence (B, W).
public enum InterventionRequestAction: Sendable, Equatable {
    /// Records the site's rows (after earlier interventions there) into the captures.
    case capture
    /// a ← (1 − w) ⊙ a + w ⊙ t per head: target (B, H·Dh), weights (B, H). Only at `.attentionHeads`.
    case mixHeads(target: InterventionValue, weights: InterventionValue)
    /// Head `heads[b]` of sequence b ← value row b (B, Dh); −1 leaves sequence b alone.
    /// Only at `.attentionHeads`.
    case replaceHead(heads: [Int], value: InterventionValue)
    /// Adds the value (B, W).
    case add(InterventionValue)
    /// Replaces the site's rows by the value (B, W).
    case replace(InterventionValue)
}

/// One intervention of a backend call: a site, a position and an action.
public struct InterventionRequest: Sendable, Equatable {
    public var site: InterventionSite
    public var position: InterventionPosition
    public var action: InterventionRequestAction

    public init(_ site: InterventionSite, at position: InterventionPosition = .last, _ action: InterventionRequestAction) {
        self.site = site
        self.position = position
        self.action = action
    }
}

/// The interventions of one backend call and the tensors their values name.
public struct InterventionPlan: Sendable {
    /// Applied in order at their sites.
    public var interventions: [InterventionRequest]
    public var inputs: InterventionInputs

    public init(_ interventions: [InterventionRequest] = [], inputs: InterventionInputs = InterventionInputs()) {
        self.interventions = interventions
        self.inputs = inputs
    }

    /// Captures of `sites`, nothing else.
    public static func capturing(_ sites: [InterventionSite]) -> InterventionPlan {
        InterventionPlan(sites.map { InterventionRequest($0, .capture) })
    }

    public var isEmpty: Bool { interventions.isEmpty }
}

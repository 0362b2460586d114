// Shape legend: B sequences, N new tokens of all sequences together, R rows of a last-token call,
// V vocab, W width of a site.
import Foundation
import Tensors

/// The sizes of a backend's model that methods shape their tensors by.
public struct BackendModelShape: Sendable, Equatable {
    public var layers: Int
    public var attentionHeads: Int
    public var headDimensions: Int
    public var hiddenSize: Int
    public var vocabularySize: Int

    public init(layers: Int, attentionHeads: Int, headDimensions: Int, hiddenSize: Int, vocabularySize: Int) {
        self.layers = layers
        self.attentionHeads = attentionHeads
        self.headDimensions = headDimensions
        self.hiddenSize = hiddenSize
        self.vocabularySize = vocabularySize
    }

    /// H·Dh, the width of `.attentionHeads`.
    public var attentionWidth: Int { attentionHeads * headDimensions }

    /// The width of a site's rows.
    public func width(of site: InterventionSite) -> Int {
        switch site {
        case .attentionHeads: return attentionWidth
        case .residual: return hiddenSize
        }
    }
}

/// What a forward call returns.
public struct BackendForward: Sendable {
    /// (B, V) for `.last`, (N, V) for `.all`, nil for `.none`.
    public var logits: Tensor?
    /// The captured rows (B, W) by site.
    public var captures: [InterventionSite: Tensor]

    public init(logits: Tensor?, captures: [InterventionSite: Tensor]) {
        self.logits = logits
        self.captures = captures
    }
}

/// How the per-row cross-entropies of a last-token call become the loss.
public struct LossReduction: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case mean, sum }
    public var kind: Kind
    /// The loss is `scale` × the mean (or sum) of the rows' cross-entropies.
    public var scale: Float

    public init(_ kind: Kind = .mean, scale: Float = 1) {
        self.kind = kind
        self.scale = scale
    }

    public static let mean = LossReduction(.mean)
}

/// What a last-token call returns.
public struct LastTokenLoss: Sendable {
    /// The reduced loss (nan when not finite on a backend that reports no number).
    public var loss: Float
    /// Each row's cross-entropy of its target, (R,).
    public var rowLosses: [Float]
    /// The gradient of `loss` for every parameter of the plan (its shape); empty when not asked.
    public var gradients: [String: Tensor]
    /// The logits of the rows, (R, V).
    public var logits: Tensor

    public init(loss: Float, rowLosses: [Float], gradients: [String: Tensor], logits: Tensor) {
        self.loss = loss
        self.rowLosses = rowLosses
        self.gradients = gradients
        self.logits = logits
    }
}

/// Prompts made ready to run their last token again and again (DESIGN.md, "cost model"): each
/// prompt's tokens but the last are processed once where the backend can keep them.
public protocol LastTokenBatch: AnyObject {
    /// The number of prompts.
    var count: Int { get }
    /// Prompt tokens processed to get ready (0 where the backend processes them on every call).
    var prefilledTokens: Int { get }

    /// Runs the last token of the prompts `indices` (a prompt may appear more than once) with
    /// `plan` (position `.last` only; values with one row per index, in order) and returns the logits
    /// (R, V) and captures.
    func forward(_ indices: [Int], plan: InterventionPlan) throws -> BackendForward

    /// `forward` for a plan that changes and captures nothing before layer `layer` (its sites
    /// are `.attentionHeads(layer: ≥ layer)` or `.residual(layer: ≥ layer)`): a backend may start
    /// the last token there from the residual stream entering that layer in a run without
    /// interventions (the native engine records it once per prompt). Results agree with
    /// `forward` up to float rounding.
    func forward(_ indices: [Int], plan: InterventionPlan, unchangedBelow layer: Int) throws -> BackendForward

    /// The cross-entropy of each index's target at its last token under `plan`, reduced by
    /// `reduction`, and, when `gradients` is true, its gradient for each parameter of the plan.
    /// - Precondition: the batch was made with targets.
    func loss(_ indices: [Int], plan: InterventionPlan, reduction: LossReduction, gradients: Bool) throws -> LastTokenLoss
}

/// A compute backend: the only way methods reach a model. The native engine (`NativeBackend`)
/// and the torch worker (`TorchBackend`) implement it; tokenization stays in Swift, so both see
/// the same token ids.
public protocol ModelBackend: AnyObject {
    /// The model's sizes.
    var shape: BackendModelShape { get }

    /// What a result depends on besides the method and the model, as settings: empty for the
    /// native engine (so its result rows and artifacts keep their names), the backend, device and
    /// dtype otherwise, so that rows of different backends never resume into each other.
    var settings: [String: String] { get }

    /// Runs B whole sequences (ragged, each non-empty) with `plan` and returns the requested logit
    /// rows and the captures.
    func forward(_ sequences: [[Int]], plan: InterventionPlan, logits: Decoder.LogitRows) throws -> BackendForward

    /// Greedy continuations of `prompts`; `plan(range)` gives the interventions of the prompt pass
    /// of the prompts in `range` (one batch; `.last` is each prompt's last token).
    func generate(
        _ prompts: [[Int]], options: GenerationOptions, plan: (Range<Int>) -> InterventionPlan
    ) throws -> [Generated]

    /// Greedy continuations of the same `prompts` under several plans (branch k under
    /// `plans[k]`, interventions at `.last` only), equal to one `generate` per plan. A backend
    /// that can keep a prompt's prefix prefills it once for all branches.
    func generateBranches(
        _ prompts: [[Int]], options: GenerationOptions, plans: [(Range<Int>) -> InterventionPlan]
    ) throws -> BranchedGeneration

    /// `prompts` made ready for last-token calls, with the first target token of each (or none).
    func lastTokenBatch(_ prompts: [[Int]], targets: [Int]) throws -> any LastTokenBatch

    /// P (L, H, D): each head's row of `headOutputs` (L, H·Dh) — values at `.attentionHeads`,
    /// e.g. mean head outputs — as it enters the residual stream: through its slice of its
    /// layer's attention output projection (no bias) and, where the family normalises the
    /// attention output before adding it (Gemma 3), through that norm linearised at the sum over
    /// the layer's heads, so that Σ_h P[l, h] is what the layer's attention adds.
    func projectHeads(_ headOutputs: Tensor) throws -> Tensor
}

extension LastTokenBatch {
    /// Runs every layer: the skip is an optimisation a backend may leave out.
    public func forward(_ indices: [Int], plan: InterventionPlan, unchangedBelow layer: Int) throws -> BackendForward {
        try forward(indices, plan: plan)
    }
}

extension ModelBackend {
    /// One `generate` per plan: nothing is shared.
    public func generateBranches(
        _ prompts: [[Int]], options: GenerationOptions, plans: [(Range<Int>) -> InterventionPlan]
    ) throws -> BranchedGeneration {
        var result = BranchedGeneration(branches: [], branchSeconds: [])
        for plan in plans {
            let start = Date()
            result.branches.append(try generate(prompts, options: options, plan: plan))
            result.branchSeconds.append(Date().timeIntervalSince(start))
        }
        return result
    }
}

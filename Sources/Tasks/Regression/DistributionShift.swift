/// How evaluation prompts differ from training prompts (LTV / Garg et al. out-of-distribution
/// tests). "Prompts longer than trained" needs no case: sample with more points.
public enum DistributionShift: Equatable, Hashable, Sendable {
    /// x ~ N(0, I_d), y = f(x).
    case none
    /// x ~ N(0, Σ), Σ = Q diag(λ) Qᵀ with λ_i ∝ 1/(i+1) scaled so that trace Σ = d, and Q a
    /// random rotation drawn once per sampler.
    case skewedCovariance
    /// x ← factor · x before f is applied (0.5 and 2 in the papers).
    case scaledInputs(Float)
    /// y ← factor · f(x).
    case scaledOutputs(Float)
    /// y ← f(x) + ε, ε ~ N(0, σ²) on every point, the query's target included.
    case noisyOutputs(standardDeviation: Float)
    /// x ~ U(low, high) in every coordinate independently (the LTV paper's N(0,1) → U(−2, 2)).
    case uniformInputs(low: Float, high: Float)
    /// x ~ N(mean, standardDeviation²) in every coordinate independently (the LTV paper's
    /// N(0,1) → N(−0.75, 1.25), read as mean −0.75 and standard deviation 1.25).
    case gaussianInputs(mean: Float, standardDeviation: Float)
    /// The query x is projected onto the orthogonal complement of the in-context xs and
    /// rescaled to its original norm. Needs fewer in-context points than dimensions.
    case orthogonalQuery
}

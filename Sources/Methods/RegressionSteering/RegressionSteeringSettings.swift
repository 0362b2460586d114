import Tasks

/// The three steering methods on the regression transformer.
public enum RegressionSteeringKind: String, CaseIterable, Sendable {
    case fv, ltv, site
}

/// Settings of FV, LTV and SITE on the regression transformer (one set for all three; each
/// method's `settings(for:)` names the ones it reads).
public struct RegressionSteeringSettings: Sendable, Equatable {
    /// M, clean prompts behind the head means (and the CIE's corrupted prompts).
    public var meanPrompts = 50
    /// N, in-context examples in each of those prompts.
    public var meanExamples = 10
    /// FV: heads summed into the vector.
    public var topHeads = 10
    /// FV: the layer after which the vector is added; nil for L/3 (rounded down).
    public var functionVectorLayer: Int? = nil
    /// SITE and LTV: Adam steps and learning rate.
    public var steps = 400
    public var learningRate: Float = 0.2
    /// SITE and LTV: in-context example counts of the training prompts; every step takes one
    /// batch at each count and averages their losses. Few examples (0 ... d/2 for d = 10): the
    /// steering is meant to stand in for missing examples.
    public var trainExamples: ClosedRange<Int> = 0...5
    /// Prompts per example count per step.
    public var trainBatch = 32
    /// Steps between validations (the best validated parameters are kept; step 0 is validated too).
    public var validateEvery = 50
    /// Validation prompts per example count (fixed for the whole run).
    public var validationPrompts = 128

    public init() {}

    /// - Throws: `TaskError.invalidRegressionSetup` for counts that cannot run.
    public func validate(layerCount: Int, headCount: Int, maxPoints: Int) throws {
        func invalid(_ why: String) -> TaskError { .invalidRegressionSetup(reason: "regression steering: " + why) }
        guard meanPrompts >= 2 else { throw invalid("mean prompts must be at least 2 (the CIE pairs prompts), got \(meanPrompts)") }
        guard meanExamples >= 0, meanExamples + 1 <= maxPoints else {
            throw invalid("mean examples \(meanExamples) outside 0 ... \(maxPoints - 1) (the model's positions)")
        }
        guard topHeads >= 1, topHeads <= layerCount * headCount else {
            throw invalid("top heads \(topHeads) outside 1 ... \(layerCount * headCount)")
        }
        if let layer = functionVectorLayer, !(0..<layerCount).contains(layer) {
            throw invalid("FV layer \(layer) outside 0 ..< \(layerCount)")
        }
        guard steps >= 0, learningRate > 0, learningRate.isFinite else {
            throw invalid("steps \(steps) must be >= 0 and learning rate \(learningRate) positive")
        }
        guard trainExamples.lowerBound >= 0, trainExamples.upperBound + 1 <= maxPoints else {
            throw invalid("train examples \(trainExamples) outside 0 ... \(maxPoints - 1)")
        }
        guard trainBatch >= 1, validateEvery >= 1, validationPrompts >= 1 else {
            throw invalid("train batch \(trainBatch), validate every \(validateEvery), validation prompts \(validationPrompts) must be positive")
        }
    }

    /// The FV layer for a model of `layerCount` layers.
    public func functionVectorLayer(layerCount: Int) -> Int { functionVectorLayer ?? layerCount / 3 }

    /// The settings a method reads, as "k=v" pairs (for the results' settings column and hash).
    public func settings(for kind: RegressionSteeringKind?, layerCount: Int) -> [String: String] {
        guard let kind else { return [:] }
        var s = ["mean_prompts": "\(meanPrompts)", "mean_examples": "\(meanExamples)"]
        switch kind {
        case .fv:
            s["top_heads"] = "\(topHeads)"
            s["layer"] = "\(functionVectorLayer(layerCount: layerCount))"
        case .ltv, .site:
            s["steps"] = "\(steps)"
            s["lr"] = "\(learningRate)"
            s["train_examples"] = "\(trainExamples.lowerBound)-\(trainExamples.upperBound)"
            s["train_batch"] = "\(trainBatch)"
            s["validate_every"] = "\(validateEvery)"
            s["validation_prompts"] = "\(validationPrompts)"
        }
        return s
    }
}

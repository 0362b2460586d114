import Tasks

/// Settings of the per-prompt protocol (the LTV reference's, scaled to a model trained on K
/// points): the defaults state the scaling, every number is configurable.
public struct PromptSteeringSettings: Sendable, Equatable {
    /// Training prompt lengths as multiples of K (rounded); one minibatch has one length. The
    /// reference trains one LTV per length (41 → 101 for K = 41); here one LTV covers 1.5K ... 4K.
    public var trainLengthFactors: [Double] = [1.5, 2, 2.5, 3, 3.5, 4]
    /// Minibatches in the pool (each of `batchSize` prompts, the lengths in turn); the first 80%
    /// train, the rest validate (the reference's 80/20 random split of i.i.d. prompts).
    public var poolBatches = 40
    public var batchSize = 32
    /// Fraction of the pool's minibatches that train.
    public var trainFraction = 0.8
    /// Epochs over the training minibatches (shuffled each epoch); validation after each.
    public var epochs = 12
    /// Early stopping: epochs in a row without a better validation loss (the reference: 7).
    public var patience = 3
    /// Adam's learning rate on LTV's weights w (reference 2.5e-5 over ~10⁶ prompt passes; ours
    /// sees a few thousand).
    public var ltvLearningRate: Float = 0.05
    /// Adam's learning rate on SITE's mixing logits (SITE's text setting).
    public var siteLearningRate: Float = 0.2
    /// Huber's δ (torch's default, the reference's loss).
    public var huberDelta: Float = 1
    /// FV: heads summed (nil: the reference's 35 of 96 heads, scaled to L·H and rounded).
    public var functionVectorHeads: Int? = nil
    /// FV: the layers it is added after, 1/|layers| each (nil: three middle layers L/2 − 1 ... L/2 + 1;
    /// the reference's 6, 7, 8 of 12).
    public var functionVectorLayers: [Int]? = nil
    /// FV: prompts behind the head means and the indirect effects (independent functions, K points).
    public var functionVectorPrompts = 64
    /// FV: fractions of the prompt before which a zero pair is inserted (the reference's).
    public var zeroPairFractions: [Double] = [0.1, 0.25, 0.5, 0.75, 0.9]
    /// Evaluation prompts per condition.
    public var evaluationPrompts = 128
    /// Evaluation prompts are this many times K points long.
    public var evaluationLengthFactor = 4
    /// Steered methods are scored at k = 0, s, 2s, ... (every prompt prefix is its own forward);
    /// the transformer and the baselines at every k.
    public var evaluationStride = 1
    /// σ of the noisy condition's y noise.
    public var noiseStandardDeviation: Float = 1
    /// LTV's initial weights: randn(L, H) from this seed (the reference's initialisation).
    public var initialisationSeed: UInt64 = 17

    public init() {}

    /// K's training lengths (points per prompt), ascending and distinct.
    public func trainLengths(trainedPoints k: Int) -> [Int] {
        Array(Set(trainLengthFactors.map { Int(($0 * Double(k)).rounded()) })).sorted()
    }

    public func functionVectorHeads(layerCount l: Int, headCount h: Int) -> Int {
        functionVectorHeads ?? max(1, Int((35.0 / 96.0 * Double(l * h)).rounded()))
    }

    public func functionVectorLayers(layerCount l: Int) -> [Int] {
        functionVectorLayers ?? Array(Set([l / 2 - 1, l / 2, l / 2 + 1].map { min(max($0, 0), l - 1) })).sorted()
    }

    /// - Throws: `TaskError.invalidRegressionSetup` naming the first setting that cannot run.
    public func validate(layerCount: Int, headCount: Int, trainedPoints k: Int, maxPoints: Int) throws {
        func invalid(_ why: String) -> TaskError { .invalidRegressionSetup(reason: "per-prompt steering: " + why) }
        let lengths = trainLengths(trainedPoints: k)
        guard !lengths.isEmpty, lengths.allSatisfy({ $0 > k && $0 <= maxPoints }) else {
            throw invalid("training lengths \(lengths) must exceed the trained length \(k) and fit \(maxPoints) points")
        }
        guard evaluationLengthFactor >= 1, k * evaluationLengthFactor + zeroPairFractions.count <= maxPoints else {
            throw invalid("evaluation prompts of \(evaluationLengthFactor)·\(k) points (+\(zeroPairFractions.count) zero pairs) exceed \(maxPoints)")
        }
        guard poolBatches >= 2, batchSize >= 1, trainFraction > 0, trainFraction < 1,
              Int(Double(poolBatches) * trainFraction) >= 1, Int(Double(poolBatches) * trainFraction) < poolBatches else {
            throw invalid("pool of \(poolBatches) batches of \(batchSize) split at \(trainFraction) leaves no training or no validation batch")
        }
        guard epochs >= 0, patience >= 1, ltvLearningRate > 0, siteLearningRate > 0, huberDelta > 0,
              ltvLearningRate.isFinite, siteLearningRate.isFinite, huberDelta.isFinite else {
            throw invalid("epochs \(epochs), patience \(patience), learning rates \(ltvLearningRate)/\(siteLearningRate), δ \(huberDelta)")
        }
        let heads = functionVectorHeads(layerCount: layerCount, headCount: headCount)
        guard heads >= 1, heads <= layerCount * headCount else { throw invalid("FV heads \(heads) outside 1 ... \(layerCount * headCount)") }
        let layers = functionVectorLayers(layerCount: layerCount)
        guard !layers.isEmpty, layers.allSatisfy({ (0..<layerCount).contains($0) }) else { throw invalid("FV layers \(layers) outside 0 ..< \(layerCount)") }
        guard functionVectorPrompts >= 2, zeroPairFractions.allSatisfy({ $0 >= 0 && $0 < 1 }) else {
            throw invalid("FV prompts \(functionVectorPrompts) (at least 2) or zero-pair fractions \(zeroPairFractions) outside [0, 1)")
        }
        guard evaluationPrompts >= 1, evaluationStride >= 1, noiseStandardDeviation >= 0, noiseStandardDeviation.isFinite else {
            throw invalid("evaluation prompts \(evaluationPrompts), stride \(evaluationStride), noise σ \(noiseStandardDeviation)")
        }
    }

    /// The settings a method reads, as "k=v" pairs (the results' settings column and hash).
    public func settings(for kind: RegressionSteeringKind?, layerCount: Int, headCount: Int, trainedPoints k: Int) -> [String: String] {
        var s = ["protocol": "per-prompt", "eval_prompts": "\(evaluationPrompts)", "eval_points": "\(evaluationLengthFactor * k)",
                 "eval_stride": "\(evaluationStride)", "noise_sd": "\(noiseStandardDeviation)", "source_points": "\(k)"]
        switch kind {
        case nil:
            break
        case .fv?:
            s["fv_heads"] = "\(functionVectorHeads(layerCount: layerCount, headCount: headCount))"
            s["fv_layers"] = functionVectorLayers(layerCount: layerCount).map(String.init).joined(separator: " ")
            s["fv_prompts"] = "\(functionVectorPrompts)"
            s["zero_pairs"] = zeroPairFractions.map { "\($0)" }.joined(separator: " ")
        case .ltv?, .site?:
            s["train_lengths"] = trainLengths(trainedPoints: k).map(String.init).joined(separator: " ")
            s["pool"] = "\(poolBatches)x\(batchSize)"
            s["train_fraction"] = "\(trainFraction)"
            s["epochs"] = "\(epochs)"
            s["patience"] = "\(patience)"
            s["lr"] = "\(kind == .ltv ? ltvLearningRate : siteLearningRate)"
            s["huber_delta"] = "\(huberDelta)"
            if kind == .ltv { s["init"] = "randn seed \(initialisationSeed)" }
        }
        return s
    }
}

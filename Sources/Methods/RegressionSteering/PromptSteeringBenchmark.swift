// Shape legend: B prompts, N points per prompt, K the trained length, d input dim, L layers, H heads.
import Foundation
import Models
import Tasks
import Tensors

/// One evaluation condition of the per-prompt protocol.
public struct PromptSteeringCondition: Sendable, Equatable {
    public var name: String
    public var shift: DistributionShift
    /// Scored at the query only, one batch per prompt length 2 ... min(d, N) (the orthogonal query
    /// exists only while the context leaves a complement).
    public var queryOnly: Bool

    /// The LTV paper's conditions: in distribution, skewed covariance, noisy y (real noise of
    /// deviation σ; the reference's adds none), the orthogonal query, and x ~ U(−2, 2) and
    /// x ~ N(−0.75, 1.25²) in place of N(0, 1).
    public static func all(noiseStandardDeviation sigma: Float) -> [PromptSteeringCondition] {
        [PromptSteeringCondition(name: "standard", shift: .none, queryOnly: false),
         PromptSteeringCondition(name: "skewed-covariance", shift: .skewedCovariance, queryOnly: false),
         PromptSteeringCondition(name: "noisy-y-sd\(sigma)", shift: .noisyOutputs(standardDeviation: sigma), queryOnly: false),
         PromptSteeringCondition(name: "orthogonal-query", shift: .orthogonalQuery, queryOnly: true),
         PromptSteeringCondition(name: "x-uniform-2", shift: .uniformInputs(low: -2, high: 2), queryOnly: false),
         PromptSteeringCondition(name: "x-normal-0.75-1.25", shift: .gaussianInputs(mean: -0.75, standardDeviation: 1.25), queryOnly: false)]
    }
}

/// One point of a curve: raw squared error (ŷ − y)² at the query, mean over prompts.
public struct PromptSteeringError: Sendable, Equatable {
    public var method: String
    public var condition: String
    public var inContextExamples: Int
    public var squaredError: Double
    public var prompts: Int
}

/// A method made ready: its steering and what its preparation found.
public struct PreparedPromptSteering: Sendable {
    public var kind: RegressionSteeringKind
    public var steering: PromptSteering
    public var prepSeconds: Double
    /// FV: the chosen heads, best first.
    public var heads: [(layer: Int, head: Int)] = []
    /// LTV and SITE: (epoch, validation Huber loss), the kept epoch and the epochs run.
    public var validations: [(epoch: Int, loss: Float)] = []
    public var bestEpoch = 0
    public var epochsRun = 0
}

/// The LTV paper's function-regression protocol on a trained regression transformer: per-prompt
/// task vectors from a trained-length prompt of the same function, LTV and SITE trained on
/// prompts up to 4K points with the Huber loss of the final query, FV with zero pairs, and every
/// method, the plain transformer and the baselines scored on prompts of 4K points under every
/// condition.
public enum PromptSteeringBenchmark {
    public static let transformerMethod = "transformer"
    public static let baselines: [any RegressionBaseline] = [LeastSquaresBaseline(), NearestNeighboursBaseline(neighbours: 3), AveragingBaseline()]

    /// Prepares `methods` and scores everything.
    /// - Throws: `TaskError.invalidRegressionSetup` for settings the model cannot run.
    public static func run(
        model: RegressionTransformer, functionClass: FunctionClass, trainedPoints k: Int, methods: [RegressionSteeringKind],
        settings: PromptSteeringSettings, seed: UInt64, log: (String) -> Void = { _ in }
    ) throws -> (errors: [PromptSteeringError], prepared: [PreparedPromptSteering]) {
        let c = model.configuration
        try settings.validate(layerCount: c.layerCount, headCount: c.headCount, trainedPoints: k, maxPoints: c.maxPoints)
        let prepared = try prepare(methods, model: model, functionClass: functionClass, trainedPoints: k, settings: settings, seed: seed, log: log)
        let errors = try evaluate(model, steerings: prepared.map { ($0.kind.rawValue, $0.steering) }, functionClass: functionClass,
                                  trainedPoints: k, settings: settings, seed: seed, log: log)
        return (errors, prepared)
    }

    static func stream(_ seed: UInt64, _ purpose: String, _ extra: UInt64 = 0) -> UInt64 {
        SplitMix64.mix([seed, SplitMix64.stableHash("prompt-steering/" + purpose), extra])
    }

    /// The training pool: minibatch j holds prompts of the j-th length in turn, each with the
    /// head outputs of its own first K points.
    public static func pool(
        model: RegressionTransformer, functionClass: FunctionClass, trainedPoints k: Int, settings: PromptSteeringSettings, seed: UInt64
    ) throws -> [PromptSteeringBatch] {
        let lengths = settings.trainLengths(trainedPoints: k), d = model.configuration.inputDimension
        return try (0..<settings.poolBatches).map { j in
            let setup = try RegressionSetup(functionClass: functionClass, dimension: d, points: lengths[j % lengths.count])
            let prompts = RegressionSampler(setup: setup, seed: stream(seed, "pool", UInt64(j))).batch(size: settings.batchSize, index: 0)
            return PromptSteeringBatch(prompts: prompts, source: PromptHeadOutputs(model: model, sources: prompts.prefix(points: k)))
        }
    }

    /// randn(L, H) from `seed`: LTV's initial weights.
    public static func gaussianWeights(layers l: Int, heads h: Int, seed: UInt64) -> Tensor {
        var generator = Xoshiro256StarStar(seed: seed)
        return Tensor(shape: [l, h], scalars: (0..<(l * h)).map { _ in Float(generator.nextGaussian()) })
    }

    static func prepare(
        _ kinds: [RegressionSteeringKind], model: RegressionTransformer, functionClass: FunctionClass, trainedPoints k: Int,
        settings: PromptSteeringSettings, seed: UInt64, log: (String) -> Void
    ) throws -> [PreparedPromptSteering] {
        let c = model.configuration, d = c.inputDimension
        var out = [PreparedPromptSteering]()
        var trainingPool: [PromptSteeringBatch]? = nil
        for kind in kinds {
            let begin = Date()
            switch kind {
            case .fv:
                let setup = try RegressionSetup(functionClass: functionClass, dimension: d, points: k)
                let clean = RegressionSampler(setup: setup, seed: stream(seed, "fv-means")).batch(size: settings.functionVectorPrompts, index: 0)
                let means = RegressionHeadStatistics.means(of: model, on: clean)
                let cieClean = RegressionSampler(setup: setup, seed: stream(seed, "fv-cie")).batch(size: settings.functionVectorPrompts, index: 0)
                let shift = 1 + Int(stream(seed, "fv-pairing") % UInt64(settings.functionVectorPrompts - 1))
                let effects = RegressionHeadStatistics.indirectEffects(
                    of: model, means: means, corrupted: RegressionHeadStatistics.corrupted(cieClean, shift: shift))
                let (vector, heads) = RegressionHeadStatistics.functionVector(
                    projected: RegressionHeadStatistics.projected(means, model: model), effects: effects,
                    count: settings.functionVectorHeads(layerCount: c.layerCount, headCount: c.headCount))
                let layers = settings.functionVectorLayers(layerCount: c.layerCount)
                log("fv: heads " + heads.map { "\($0.layer).\($0.head)" }.joined(separator: " ") + "; layers \(layers)")
                out.append(PreparedPromptSteering(
                    kind: kind, steering: .functionVector(vector: vector, layers: layers, zeroPairs: ZeroPairs(fractions: settings.zeroPairFractions)),
                    prepSeconds: Date().timeIntervalSince(begin), heads: heads))
            case .ltv, .site:
                if trainingPool == nil {
                    trainingPool = try pool(model: model, functionClass: functionClass, trainedPoints: k, settings: settings, seed: seed)
                }
                let all = trainingPool!  // set just above
                let split = Int(Double(all.count) * settings.trainFraction)
                let objective = PromptSteeringObjective(model: model, kind: kind, huberDelta: settings.huberDelta)
                let initial = kind == .ltv
                    ? gaussianWeights(layers: c.layerCount, heads: c.headCount, seed: settings.initialisationSeed)
                    : Tensor.zeros([c.layerCount, c.headCount])
                let result = PromptSteeringTrainer.train(
                    objective, initial: initial, learningRate: kind == .ltv ? settings.ltvLearningRate : settings.siteLearningRate,
                    epochs: settings.epochs, patience: settings.patience, training: Array(all[..<split]), validation: Array(all[split...]),
                    orderSeed: stream(seed, "order-" + kind.rawValue))
                log("\(kind.rawValue): validation " + result.validations.map { String(format: "%d:%.4f", $0.epoch, $0.loss) }.joined(separator: " ")
                    + " (kept epoch \(result.bestEpoch) of \(result.epochsRun))")
                // The pool is shared: its cost counts once, in the first trained method's time.
                let seconds = Date().timeIntervalSince(begin)
                out.append(PreparedPromptSteering(
                    kind: kind, steering: objective.steering(result.block), prepSeconds: seconds,
                    validations: result.validations, bestEpoch: result.bestEpoch, epochsRun: result.epochsRun))
            }
        }
        return out
    }

    /// Raw squared error per prompt length: entry i is the mean over prompts of (ŷ_i − y_i)².
    static func rawErrors(predictions: [Float], batch: RegressionBatch) -> [Double] {
        RegressionMetric.squaredErrorByLength(predictions: predictions, batch: batch).map { $0 * Double(batch.dimension) }
    }

    static func queryError(_ predictions: [Float], _ batch: RegressionBatch) -> Double {
        var sum = 0.0
        for b in 0..<batch.batchSize {
            let delta = Double(predictions[b]) - Double(batch.y(prompt: b, point: batch.points - 1))
            sum += delta * delta
        }
        return sum / Double(batch.batchSize)
    }

    /// The test prompts of `condition` at one length and, for each, the prompt its task vector is
    /// built from: K in-distribution points (x ~ N(0, I), no noise) of the SAME function, as the
    /// reference's prompts drawn from the same task object.
    public static func evaluationPrompts(
        _ condition: PromptSteeringCondition, points length: Int, prompts: Int, functionClass: FunctionClass, dimension d: Int,
        trainedPoints k: Int, seed: UInt64
    ) throws -> (prompts: RegressionBatch, sources: RegressionBatch, functions: [any RegressionFunction]) {
        let setup = try RegressionSetup(functionClass: functionClass, dimension: d, points: length, shift: condition.shift)
        let (batch, functions) = RegressionSampler(setup: setup, seed: stream(seed, "eval/" + condition.name, UInt64(length)))
            .batchWithFunctions(size: prompts, index: 0)
        let sourceSetup = try RegressionSetup(functionClass: functionClass, dimension: d, points: k)
        let sources = RegressionSampler(setup: sourceSetup, seed: stream(seed, "source/" + condition.name, UInt64(length)))
            .batch(functions: functions, index: 0)
        return (batch, sources, functions)
    }

    /// Every steering, the plain transformer and the baselines under every condition.
    public static func evaluate(
        _ model: RegressionTransformer, steerings: [(name: String, steering: PromptSteering)], functionClass: FunctionClass,
        trainedPoints k: Int, settings: PromptSteeringSettings, seed: UInt64, log: (String) -> Void = { _ in }
    ) throws -> [PromptSteeringError] {
        let d = model.configuration.inputDimension, n = settings.evaluationLengthFactor * k, prompts = settings.evaluationPrompts
        var out = [PromptSteeringError]()
        for condition in PromptSteeringCondition.all(noiseStandardDeviation: settings.noiseStandardDeviation) {
            let start = Date()
            let lengths = condition.queryOnly ? Array(2...max(2, min(d, n))) : [n]
            for length in lengths {
                let (batch, sources, _) = try evaluationPrompts(
                    condition, points: length, prompts: prompts, functionClass: functionClass, dimension: d, trainedPoints: k, seed: seed)
                let source = PromptHeadOutputs(model: model, sources: sources)
                func record(_ method: String, _ errors: [Double]) {
                    let kept = condition.queryOnly ? [(length - 1, errors[length - 1])] : errors.enumerated().map { ($0.offset, $0.element) }
                    out += kept.map { PromptSteeringError(method: method, condition: condition.name, inContextExamples: $0.0, squaredError: $0.1, prompts: prompts) }
                }
                record(transformerMethod, rawErrors(predictions: RegressionEvaluation.predictions(of: model, on: batch), batch: batch))
                for (name, steering) in steerings {
                    let ks = condition.queryOnly ? [length - 1] : Array(stride(from: 0, to: length, by: settings.evaluationStride))
                    for examples in ks {
                        let prefix = examples + 1 == length ? batch : batch.prefix(points: examples + 1)
                        let predictions = steering.queryPredictions(of: model, on: prefix, source: source)
                        out.append(PromptSteeringError(method: name, condition: condition.name, inContextExamples: examples,
                                                       squaredError: queryError(predictions, prefix), prompts: prompts))
                    }
                }
                for baseline in baselines { record(baseline.name, rawErrors(predictions: baseline.predictions(for: batch), batch: batch)) }
            }
            log("\(condition.name): " + String(format: "%.1f s", Date().timeIntervalSince(start)))
        }
        return out
    }
}

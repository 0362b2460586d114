// Shape legend: M prompts, N in-context examples, d input dim, D model dim, L layers, H heads.
import Foundation
import ModelFormats
import Models
import Tasks
import Tensors

/// One result: squared error / d of one method with k in-context examples under one condition
/// (the regression schema's row without code version and finish time, which the writer adds).
public struct RegressionSteeringRow: Sendable, Equatable {
    public var checkpoint: String
    public var function: String
    public var dimensions: Int
    /// transformer, fv, ltv or site.
    public var method: String
    public var condition: String
    public var inContextExamples: Int
    public var squaredErrorPerDimension: Double
    public var prompts: Int
    public var seed: UInt64
    /// Canonical "k=v;k=v" of the method's settings, and the first 12 hex of its SHA-256.
    public var settings: String
    public var settingsHash: String
    public var prepSeconds: Double
}

/// A steering method made ready on one model.
public struct PreparedRegressionSteering: Sendable {
    public var kind: RegressionSteeringKind
    public var steering: RegressionSteering
    /// Seconds to prepare it, the shared head means included.
    public var prepSeconds: Double
    /// FV: the chosen heads, best first; SITE/LTV: (step, validation loss) and the kept step.
    public var heads: [(layer: Int, head: Int)] = []
    public var validations: [(step: Int, loss: Float)] = []
    public var bestStep = 0
}

/// FV, LTV and SITE on a trained regression transformer, scored against the plain transformer
/// in distribution and under every shift (`RegressionEvaluationCondition.standard`).
public enum RegressionSteeringBenchmark {
    public static let transformerMethod = "transformer"

    /// Reads a checkpoint written by `bench regression train` and runs `run(model:...)`.
    /// - Throws: `ModelFormatError`/`ModelLoadError` for an unreadable checkpoint,
    ///   `TaskError.invalidRegressionSetup` for settings or conditions the model cannot run.
    public static func run(
        checkpoint: URL, methods: [RegressionSteeringKind], prompts: Int, seed: UInt64,
        settings: RegressionSteeringSettings = RegressionSteeringSettings(), includeTransformer: Bool = true,
        log: (String) -> Void = { _ in }
    ) throws -> [RegressionSteeringRow] {
        let file = try SafetensorsFile(contentsOf: checkpoint)
        let model = try RegressionTransformer(checkpoint: file)
        let options = try RegressionCheckpoint.options(in: file)
        return try run(model: model, functionClass: options.functionClass, trainedPoints: options.points,
                       checkpointName: checkpoint.path, methods: methods, prompts: prompts, seed: seed,
                       settings: settings, includeTransformer: includeTransformer, log: log)
    }

    /// Prepares each method (from `seed`) and scores it and the plain transformer on `prompts`
    /// prompts per condition and length (the evaluation prompts are `RegressionEvaluation`'s for
    /// the same seed, so the transformer's rows equal `bench regression eval`'s).
    public static func run(
        model: RegressionTransformer, functionClass: FunctionClass, trainedPoints: Int, checkpointName: String,
        methods: [RegressionSteeringKind], prompts: Int, seed: UInt64,
        settings: RegressionSteeringSettings = RegressionSteeringSettings(), includeTransformer: Bool = true,
        log: (String) -> Void = { _ in }
    ) throws -> [RegressionSteeringRow] {
        guard prompts >= 1 else { throw TaskError.invalidRegressionSetup(reason: "regression steering: prompts must be positive, got \(prompts)") }
        let c = model.configuration
        let prepared = try prepare(methods, model: model, functionClass: functionClass, settings: settings, seed: seed, log: log)
        var named: [(name: String, kind: RegressionSteeringKind?, steering: RegressionSteering, prep: Double)] =
            includeTransformer ? [(transformerMethod, nil, .none, 0)] : []
        named += prepared.map { ($0.kind.rawValue, $0.kind, $0.steering, $0.prepSeconds) }
        let conditions = RegressionEvaluationCondition.standard(dimensions: c.inputDimension, points: trainedPoints, maxPoints: c.maxPoints)
        let errors = try evaluate(model, steerings: named.map { ($0.name, $0.steering) }, functionClass: functionClass,
                                  conditions: conditions, prompts: prompts, seed: seed, log: log)
        return errors.map { e in
            let method = named.first { $0.name == e.method }!  // every error names one of `named`
            let s = settings.settings(for: method.kind, layerCount: c.layerCount)
            return RegressionSteeringRow(
                checkpoint: checkpointName, function: functionClass.rawValue, dimensions: c.inputDimension, method: e.method,
                condition: e.condition, inContextExamples: e.inContextExamples, squaredErrorPerDimension: e.error,
                prompts: prompts, seed: seed, settings: canonicalSettings(s), settingsHash: settingsHash(s), prepSeconds: method.prep)
        }
    }

    /// The first 12 hex of the SHA-256 of the canonical settings (as the text results).
    public static func settingsHash(_ settings: [String: String]) -> String {
        String(SHA256.hexDigest(of: Array(canonicalSettings(settings).utf8)).prefix(12))
    }

    /// Head means (shared), then each method in turn; everything seeded by `seed`.
    public static func prepare(
        _ kinds: [RegressionSteeringKind], model: RegressionTransformer, functionClass: FunctionClass,
        settings: RegressionSteeringSettings, seed: UInt64, log: (String) -> Void = { _ in }
    ) throws -> [PreparedRegressionSteering] {
        let c = model.configuration, d = c.inputDimension
        try settings.validate(layerCount: c.layerCount, headCount: c.headCount, maxPoints: c.maxPoints)
        guard !kinds.isEmpty else { return [] }
        func stream(_ purpose: String, _ extra: UInt64 = 0) -> UInt64 { SplitMix64.mix([seed, SplitMix64.stableHash("regression-steering/" + purpose), extra]) }
        func sampler(points: Int, _ purpose: String, _ extra: UInt64 = 0) throws -> RegressionSampler {
            RegressionSampler(setup: try RegressionSetup(functionClass: functionClass, dimension: d, points: points), seed: stream(purpose, extra))
        }
        let start = Date()
        let clean = try sampler(points: settings.meanExamples + 1, "means").batch(size: settings.meanPrompts, index: 0)
        let means = RegressionHeadStatistics.means(of: model, on: clean)
        let meansSeconds = Date().timeIntervalSince(start)

        let lengths = Array(settings.trainExamples)
        let trainSamplers = try lengths.map { try sampler(points: $0 + 1, "train", UInt64($0)) }
        let validation = try lengths.map { try sampler(points: $0 + 1, "validate", UInt64($0)).batch(size: settings.validationPrompts, index: 0) }
        let training: (Int) -> [RegressionBatch] = { step in trainSamplers.map { $0.batch(size: settings.trainBatch, index: UInt64(step)) } }

        var out = [PreparedRegressionSteering]()
        for kind in kinds {
            let begin = Date()
            var prepared: PreparedRegressionSteering
            switch kind {
            case .fv:
                let cieClean = try sampler(points: settings.meanExamples + 1, "cie").batch(size: settings.meanPrompts, index: 0)
                let shift = 1 + Int(stream("cie-pairing") % UInt64(settings.meanPrompts - 1))
                let effects = RegressionHeadStatistics.indirectEffects(
                    of: model, means: means, corrupted: RegressionHeadStatistics.corrupted(cieClean, shift: shift))
                let (vector, heads) = RegressionHeadStatistics.functionVector(
                    projected: RegressionHeadStatistics.projected(means, model: model), effects: effects, count: settings.topHeads)
                prepared = PreparedRegressionSteering(
                    kind: kind, steering: .functionVector(layer: settings.functionVectorLayer(layerCount: c.layerCount), vector: vector),
                    prepSeconds: 0, heads: heads)
                log("fv: heads " + heads.map { "\($0.layer).\($0.head)" }.joined(separator: " "))
            case .ltv, .site:
                let objective = RegressionSteeringObjective(
                    model: model,
                    kind: kind == .site ? .softInjection(means: means)
                                        : .learnedTaskVectors(projected: RegressionHeadStatistics.projected(means, model: model)))
                let result = RegressionSteeringTrainer.train(objective, settings: settings, training: training, validation: validation)
                prepared = PreparedRegressionSteering(
                    kind: kind, steering: objective.steering(result.parameters), prepSeconds: 0,
                    validations: result.validations, bestStep: result.bestStep)
                log("\(kind.rawValue): validation " + result.validations.map { String(format: "%d:%.4f", $0.step, $0.loss) }.joined(separator: " ")
                    + " (kept step \(result.bestStep))")
            }
            prepared.prepSeconds = meansSeconds + Date().timeIntervalSince(begin)
            out.append(prepared)
        }
        return out
    }

    /// One error: a method, a condition, k in-context examples.
    public struct QueryError: Sendable, Equatable {
        public var method: String
        public var condition: String
        public var inContextExamples: Int
        public var error: Double
    }

    /// Query error / d of every steering at every k of every condition. A condition scored at
    /// every point samples prompts of its length once and scores each prefix of k + 1 points;
    /// a query-only condition samples each length (as `RegressionEvaluation.evaluate`).
    public static func evaluate(
        _ model: RegressionTransformer, steerings: [(name: String, steering: RegressionSteering)], functionClass: FunctionClass,
        conditions: [RegressionEvaluationCondition], prompts: Int, seed: UInt64, log: (String) -> Void = { _ in }
    ) throws -> [QueryError] {
        let d = model.configuration.inputDimension
        var out = [QueryError]()
        for condition in conditions {
            guard condition.points <= model.configuration.maxPoints else {
                throw TaskError.invalidRegressionSetup(
                    reason: "condition \(condition.name) has \(condition.points) points; the model has positions for \(model.configuration.maxPoints)")
            }
            let start = Date()
            let lengths = condition.queryOnly ? Array(2...max(2, condition.points)) : [condition.points]
            for length in lengths {
                let setup = try RegressionSetup(functionClass: functionClass, dimension: d, points: length, shift: condition.shift)
                let stream = SplitMix64.mix([seed, SplitMix64.stableHash(condition.name), UInt64(length)])
                let batch = RegressionSampler(setup: setup, seed: stream).batch(size: prompts, index: 0)
                let prefixes = condition.queryOnly ? [length] : Array(1...length)
                for (name, steering) in steerings {
                    if case .none = steering, !condition.queryOnly {
                        // Causal: one forward over whole prompts gives every prefix's query.
                        let errors = RegressionMetric.squaredErrorByLength(
                            predictions: RegressionEvaluation.predictions(of: model, on: batch), batch: batch)
                        out += errors.enumerated().map { QueryError(method: name, condition: condition.name, inContextExamples: $0.offset, error: $0.element) }
                        continue
                    }
                    for points in prefixes {
                        let prompt = points == length ? batch : batch.prefix(points: points)
                        out.append(QueryError(method: name, condition: condition.name, inContextExamples: points - 1,
                                         error: steering.queryError(of: model, on: prompt)))
                    }
                }
            }
            log("\(condition.name): " + String(format: "%.1f s", Date().timeIntervalSince(start)))
        }
        return out
    }
}

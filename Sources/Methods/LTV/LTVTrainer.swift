// Shape legend: T tasks, L layers, H heads, D model dim, R rows of a forward call.
import Foundation
import Models
import Tasks
import Tensors

/// What training gave one task.
public struct LTVTrainingResult {
    public var name: String
    /// The kept w (L, H): lowest validation loss (the last one without validation prompts).
    public var weights: Tensor
    /// w (L, H) after the last step.
    public var finalWeights: Tensor
    /// The step of `weights` (0: before training).
    public var bestStep: Int
    /// Validation loss of `weights` (nan without validation prompts).
    public var bestValidationLoss: Float
    /// Steps at which validation ran and the mean cross-entropy there.
    public var validationSteps: [Int]
    public var validationLosses: [Float]
    /// The training loss of every step (mean over that step's prompts).
    public var trainingLosses: [Float]
}

/// A training run of one or more tasks.
public struct LTVTrainingRun {
    /// One per problem, in order.
    public var results: [LTVTrainingResult]
    /// Tokens run: prompt prefixes prefilled, last tokens of steps and validations (head means not included).
    public var tokensProcessed: Int
    public var seconds: Double
}

/// Trains LTV weights with Adam, the model frozen, on the cross-entropy of the first target token.
///
/// Several tasks train at once as independent problems: one parameter (T·L, H), each step runs
/// `promptsPerStep` prompts of every task in one batched last-token forward, each row steered by
/// its own task's vectors, and the loss is the sum over tasks of each task's mean. A task's
/// gradient therefore depends on its rows only, Adam acts element-wise, and each task's step
/// order, initialisation and best-weights tracking are its own: the result of a task equals
/// that of training it alone (up to floating-point summation order in batched matrix products).
public enum LTVTrainer {
    /// - Parameters:
    ///   - backend: runs the model (the native engine for a `LanguageModel`).
    ///   - problems: the tasks (at least one), all for the backend's model (same L and H).
    ///   - settings: steps, learning rate, prompts per step, validation schedule.
    ///   - validationBatchSize: rows per validation forward (one forward for ≤ 100 items of one task).
    /// - Throws: what the backend throws.
    public static func train(
        backend: any ModelBackend, problems: [LTVProblem], settings: LTVSettings, validationBatchSize: Int = 256
    ) throws -> LTVTrainingRun {
        precondition(!problems.isEmpty, "LTVTrainer: no problems")
        let start = Date()
        let c = backend.shape
        let l = c.layers, h = c.attentionHeads, t = problems.count
        precondition(problems.allSatisfy { $0.projectedHeadMeans.shape == [l, h, c.hiddenSize] },
                     "LTVTrainer: P \(problems.map(\.projectedHeadMeans.shape)) for a model of L \(l), H \(h), D \(c.hiddenSize)")

        // One LastTokenPrompts holds every task's training prompts, then every task's validation prompts.
        var trainingOffsets = [Int](), validationOffsets = [Int]()
        var prompts = [[Int]](), targets = [Int]()
        for p in problems {
            trainingOffsets.append(prompts.count)
            prompts += p.trainingPrompts
            targets += p.trainingTargets
        }
        for p in problems {
            validationOffsets.append(prompts.count)
            prompts += p.validationPrompts
            targets += p.validationTargets
        }
        let cached = try backend.lastTokenBatch(prompts, targets: targets)
        var tokens = cached.prefilledTokens

        let projections = LTVVectors.projectionConstants(problems.map(\.projectedHeadMeans))
        var orders = problems.map { StepOrder(count: $0.trainingPrompts.count, seed: $0.orderSeed) }
        let k = settings.promptsPerStep
        var trainingLosses = [[Float]](repeating: [], count: t)

        let run = try KeepBestTraining.train(
            initial: Tensor(shape: [t * l, h], scalars: problems.flatMap(\.initialWeights.scalars)),
            taskRows: (0..<t).map { ($0 * l)..<(($0 + 1) * l) }, learningRate: settings.learningRate,
            schedule: settings.schedule,
            gradient: { _, weights in
                var indices = [Int]()
                for task in 0..<t {
                    for _ in 0..<k { indices.append(trainingOffsets[task] + orders[task].next()) }
                }
                let plan = LTVVectors.plan(
                    weights: weights, asParameter: true, projections: projections, layers: l,
                    rowsPerTask: [Int](repeating: k, count: t))
                let result = try cached.loss(indices, plan: plan, reduction: LossReduction(.sum, scale: 1 / Float(k)), gradients: true)
                tokens += indices.count
                for task in 0..<t {
                    let rows = result.rowLosses[(task * k)..<((task + 1) * k)]
                    trainingLosses[task].append(rows.reduce(0, +) / Float(k))
                }
                guard let gradient = result.gradients[LTVVectors.weightsName] else {
                    throw BackendError.badValue("LTV: the backend returned no gradient of \(LTVVectors.weightsName)")
                }
                return gradient
            },
            validate: { _, weights in
                let losses = try validationLosses(
                    cached, weights: weights, projections: projections, layers: l,
                    offsets: validationOffsets, counts: problems.map(\.validationPrompts.count), batchSize: validationBatchSize)
                tokens += problems.reduce(0) { $0 + $1.validationPrompts.count }
                return (0..<t).map { problems[$0].validationPrompts.isEmpty ? nil : losses[$0] }
            })
        let results = (0..<t).map { task in
            let trained = run.tasks[task]
            return LTVTrainingResult(
                name: problems[task].name, weights: trained.best, finalWeights: trained.final, bestStep: trained.bestStep,
                bestValidationLoss: trained.bestLoss, validationSteps: trained.validationSteps,
                validationLosses: trained.validationLosses, trainingLosses: trainingLosses[task])
        }
        return LTVTrainingRun(results: results, tokensProcessed: tokens, seconds: Date().timeIntervalSince(start))
    }

    /// `.add` of each layer's vector at `.residual(layer:)`, at the last token.
    static func interventions(_ vectors: [Variable]) -> [Intervention] {
        vectors.enumerated().map { Intervention(.residual(layer: $0.offset), .add($0.element)) }
    }

    /// Mean validation cross-entropy of every task under `weights` (a constant: no gradient).
    static func validationLosses(
        _ cached: any LastTokenBatch, weights: Tensor, projections: [String: Tensor], layers: Int, offsets: [Int], counts: [Int],
        batchSize: Int
    ) throws -> [Float] {
        // Rows are grouped by task in task order, so every chunk holds contiguous blocks per task.
        let rows = zip(offsets, counts).flatMap { offset, count in (0..<count).map { offset + $0 } }
        let owners = counts.enumerated().flatMap { task, count in [Int](repeating: task, count: count) }
        var sums = [Double](repeating: 0, count: counts.count)
        var start = 0
        while start < rows.count {
            let range = start..<min(rows.count, start + max(1, batchSize))
            let perTask = (0..<counts.count).map { task in range.filter { owners[$0] == task }.count }
            let plan = LTVVectors.plan(weights: weights, asParameter: false, projections: projections, layers: layers, rowsPerTask: perTask)
            let losses = try cached.loss(range.map { rows[$0] }, plan: plan, reduction: .mean, gradients: false).rowLosses
            for (row, i) in range.enumerated() { sums[owners[i]] += Double(losses[row]) }
            start = range.upperBound
        }
        return zip(sums, counts).map { $1 == 0 ? .nan : Float($0 / Double($1)) }
    }
}

/// Visits 0 ..< count in seeded random orders, a fresh permutation each pass.
struct StepOrder {
    let count: Int
    var generator: Xoshiro256StarStar
    var order: [Int] = []
    var position = 0

    init(count: Int, seed: UInt64) {
        precondition(count > 0, "StepOrder: nothing to visit")
        self.count = count
        generator = Xoshiro256StarStar(seed: seed)
    }

    mutating func next() -> Int {
        if position == order.count {
            order = generator.sampleWithoutReplacement(count, from: count)
            position = 0
        }
        defer { position += 1 }
        return order[position]
    }
}

// Shape legend: L layers, H heads, D model dim.
import Models
import Tasks
import Tensors

/// Everything LTV training needs for one task: the projected head means, tokenised training and
/// validation prompts with their target tokens, the starting weights and the seed of the step order.
public struct LTVProblem {
    /// The task's name (results, seeds).
    public var name: String
    /// P (L, H, D).
    public var projectedHeadMeans: Tensor
    /// Training prompts (token ids) and their first target tokens.
    public var trainingPrompts: [[Int]]
    public var trainingTargets: [Int]
    /// Zero-shot validation prompts and their first target tokens (may be empty: then the last
    /// weights are kept).
    public var validationPrompts: [[Int]]
    public var validationTargets: [Int]
    /// w (L, H) before the first step.
    public var initialWeights: Tensor
    /// Seeds the order in which training prompts are visited.
    public var orderSeed: UInt64
    /// Tokens run to compute the head means.
    public var meanTokens: Int

    public init(
        name: String, projectedHeadMeans: Tensor, trainingPrompts: [[Int]], trainingTargets: [Int],
        validationPrompts: [[Int]], validationTargets: [Int], initialWeights: Tensor, orderSeed: UInt64, meanTokens: Int = 0
    ) {
        precondition(projectedHeadMeans.rank == 3 && initialWeights.shape == Array(projectedHeadMeans.shape.prefix(2)),
                     "LTVProblem: P \(projectedHeadMeans.shape), w \(initialWeights.shape)")
        precondition(!trainingPrompts.isEmpty && trainingPrompts.count == trainingTargets.count,
                     "LTVProblem: \(trainingPrompts.count) training prompts, \(trainingTargets.count) targets")
        precondition(validationPrompts.count == validationTargets.count,
                     "LTVProblem: \(validationPrompts.count) validation prompts, \(validationTargets.count) targets")
        self.name = name
        self.projectedHeadMeans = projectedHeadMeans
        self.trainingPrompts = trainingPrompts
        self.trainingTargets = trainingTargets
        self.validationPrompts = validationPrompts
        self.validationTargets = validationTargets
        self.initialWeights = initialWeights
        self.orderSeed = orderSeed
        self.meanTokens = meanTokens
    }

    /// Builds a task's problem from its train and valid splits: M clean `meanShots`-shot train
    /// prompts for the head means, `trainingPrompts` train queries (with `trainingShots`
    /// demonstrations, labels shuffled when asked), and zero-shot prompts of the first
    /// `validationItems` valid items. Every draw is seeded by (context seed, task, purpose).
    /// - Throws: `MethodError.notEnoughItems` (naming `method`) when train holds too few items
    ///   for the shots; `TaskError.targetAddsNoToken` for an item with no target token.
    public static func make(_ context: MethodContext, settings: LTVSettings, method: MethodName = .ltv) throws -> LTVProblem {
        let model = context.model, task = context.task, train = context.train
        let check = SettingCheck(method: method)
        for (shots, purpose) in [(settings.meanShots, "mean"), (settings.trainingShots, "training")] {
            try check.items(TaskSplit.train.rawValue, of: task.name, available: train.count, needed: shots + 1,
                            for: "\(shots)-shot \(purpose) prompts (a query and \(shots) other items)")
        }
        let sampler = context.sampler
        func seed(_ purpose: String) -> UInt64 {
            SplitMix64.mix([context.seed, SplitMix64.stableHash(task.name), SplitMix64.stableHash(purpose)])
        }
        func queries(_ count: Int, purpose: String) -> [Int] {
            var generator = Xoshiro256StarStar(seed: seed(purpose))
            return generator.sampleWithoutReplacement(min(count, train.count), from: train.count)
        }

        let meanPrompts = try queries(settings.meanPrompts, purpose: "ltv-means").map {
            model.encode(try sampler.prompt(forItem: $0, of: train, split: .train, shots: settings.meanShots,
                                            seed: seed("ltv-means")).text)
        }
        let (projected, meanTokens) = try ProjectedHeadMeans.compute(backend: context.backend, prompts: meanPrompts)

        let training = try queries(settings.trainingPrompts, purpose: "ltv-training").map {
            try sampler.prompt(forItem: $0, of: train, split: .train, shots: settings.trainingShots,
                               seed: seed("ltv-training"), shuffledLabels: settings.shuffledLabels)
        }
        let valid = Array(context.valid.prefix(settings.validationItems))
        let validation = try sampler.prompts(for: valid, split: .valid, shots: 0, seed: context.seed)

        let l = projected.shape[0], h = projected.shape[1]
        var initial = Tensor(shape: [l, h])
        if settings.initialisation == .gaussian {
            var generator = Xoshiro256StarStar(seed: seed("ltv-init"))
            for i in 0..<initial.count { initial.scalars[i] = Float(generator.nextGaussian()) }
        }
        return LTVProblem(
            name: task.name, projectedHeadMeans: projected,
            trainingPrompts: training.map { model.encode($0.text) },
            trainingTargets: try training.map { try $0.targetToken(tokenize: model.encode) },
            validationPrompts: validation.map { model.encode($0.text) },
            validationTargets: try validation.map { try $0.targetToken(tokenize: model.encode) },
            initialWeights: initial, orderSeed: seed("ltv-order"), meanTokens: meanTokens)
    }
}

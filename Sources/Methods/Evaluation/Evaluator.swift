import Foundation
import Models
import Tasks
import Tensors

/// How an answer is scored (DESIGN.md, "Prompt format and scoring").
public enum ScoringMode: String, CaseIterable, Codable, Sendable {
    /// Greedy generation of 1–20 tokens, normalised and prefix-matched against the target.
    case exactMatch = "exact-match"
    /// The arg-max at the last prompt position is the target's first token.
    case firstToken = "first-token"
    /// First-token accuracy over only the test items that 10-shot ICL (same seed) answers right
    /// by its first token: the "filtered" scoring of the function-vector paper (Todd et al.), so
    /// that FV and TV figures compare with theirs. A row's `items` counts the items kept.
    case filteredFirstToken = "filtered-first-token"

    /// Demonstrations of the ICL prompts whose first-token answers filter the items
    /// (`filteredFirstToken`), as in Todd et al.
    public static let filterShots = 10
}

/// Settings of one evaluation.
public struct EvaluationOptions: Sendable {
    public var scoring: ScoringMode
    /// Evaluate at most this many test items (the first ones), nil for all.
    public var maxItems: Int?
    /// Prompts run together.
    public var batchSize: Int
    public var maxNewTokens: Int
    /// Seeds the demonstrations of k-shot test prompts.
    public var seed: UInt64
    /// Prompt tokens a journal part holds at most, unless its one batch has more
    /// (`Evaluator.parts`): a few minutes of prefill on one thread, all a killed pass can lose.
    /// 0-shot prompts make parts of thousands of items, 10-shot squad_val's (about 2,650 tokens
    /// each) one batch.
    public var journalPartTokens: Int

    public static let defaultJournalPartTokens = 100_000

    public init(scoring: ScoringMode = .exactMatch, maxItems: Int? = nil, batchSize: Int = 32, maxNewTokens: Int = 20, seed: UInt64 = 0,
                journalPartTokens: Int = defaultJournalPartTokens) {
        self.scoring = scoring
        self.maxItems = maxItems
        self.batchSize = batchSize
        self.maxNewTokens = maxNewTokens
        self.seed = seed
        self.journalPartTokens = journalPartTokens
    }
}

/// One test item's outcome; a row of a `bench run --answers` file.
public struct ItemOutcome: Sendable, Equatable, Codable, CSVRow {
    /// The item's index in the task's test split.
    public var index: Int
    public var target: String
    /// The decoded continuation (exact match) or the predicted token's text (first token).
    public var prediction: String
    public var correct: Bool

    public init(index: Int, target: String, prediction: String, correct: Bool) {
        self.index = index
        self.target = target
        self.prediction = prediction
        self.correct = correct
    }

    public static let header = ["index", "target", "prediction", "correct"]
}

/// The result of a method on a task's test items.
public struct TaskEvaluation: Sendable, Codable {
    public var correct: Int
    public var count: Int
    public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }
    /// Wall time of the test pass.
    public var seconds: Double
    /// CPU seconds of the process during the test pass (its share, for methods that shared one);
    /// nil when part of it was read back from a journal that did not record them.
    public var cpuSeconds: Double?
    /// Prompt tokens run through the model (generated tokens not counted).
    public var promptTokens: Int
    public var outcomes: [ItemOutcome]
}

extension TaskEvaluation {
    /// The pass made of `parts` (in test order), after `setup` (wall and CPU seconds) of building
    /// its prompts and choosing its items.
    init(_ parts: [EvaluationPart], setup: (seconds: Double, cpuSeconds: Double)) {
        let outcomes = parts.flatMap(\.outcomes)
        let partCPU = parts.map(\.cpuSeconds)
        self.init(correct: outcomes.filter(\.correct).count, count: outcomes.count,
                  seconds: setup.seconds + parts.reduce(0) { $0 + $1.seconds },
                  cpuSeconds: partCPU.contains(nil) ? nil : setup.cpuSeconds + partCPU.reduce(0) { $0 + $1! },
                  promptTokens: parts.reduce(0) { $0 + $1.promptTokens }, outcomes: outcomes)
    }
}

/// Answers test items with a prepared method and scores them.
public struct Evaluator {
    /// Tokenizes the prompts and decodes the answers.
    public let model: LanguageModel
    /// Runs them: the native engine unless another backend is given.
    public let backend: any ModelBackend
    /// The ICL filter of `ScoringMode.filteredFirstToken`, computed once per task.
    let filters = ICLFilters()

    public init(model: LanguageModel, backend: (any ModelBackend)? = nil) {
        self.model = model
        self.backend = backend ?? NativeBackend(model: model)
    }

    /// - Parameters:
    ///   - items: the test items.
    ///   - train: the pool k-shot prompts draw demonstrations from.
    ///   - journal: keeps finished parts of the pass, and gives back those of a pass cut short.
    /// - Throws: `MethodError.invalidSetting` for a batch size or token budget below 1 or a
    ///   negative item limit; what building the prompts throws; `EvaluationJournalError` for a
    ///   journal recorded on other test items.
    public func evaluate(
        _ method: any PreparedMethod, task: TextTask, items: [TaskItem], train: [TaskItem], options: EvaluationOptions,
        journal: (any EvaluationJournal)? = nil
    ) throws -> TaskEvaluation {
        let clock = CostClock()
        let (prompts, ids) = try testPrompts(shots: method.shots, task: task, items: items, train: train, options: options)
        let indices: [Int]
        switch options.scoring {
        case .exactMatch, .firstToken: indices = Array(ids.indices)
        case .filteredFirstToken:
            indices = try itemsICLAnswers(task: task, items: Array(items.prefix(options.maxItems ?? items.count)), train: train, options: options)
        }
        let setup = (clock.seconds, clock.cpuSeconds)
        let parts = try partedRun(indices: indices, prompts: prompts, tokens: ids.map(\.count), options: options, journals: [journal]) { part in
            let partClock = CostClock()
            let outcomes: [ItemOutcome]
            if options.scoring == .exactMatch {
                let partPrompts = part.map { prompts[$0] }
                let generated = try backend.generate(part.map { ids[$0] }, options: generationOptions(options, prompts: partPrompts, scorer: task.answerScorer)) { range in
                    InterventionPlan(constants: method.interventions(batchSize: range.count))
                }
                outcomes = exactMatchOutcomes(partPrompts, indices: part, generated: generated, scorer: task.answerScorer)
            } else {
                outcomes = try firstTokenOutcomes(prompts, ids: ids, indices: part, batchSize: options.batchSize, interventions: method.interventions)
            }
            return [EvaluationPart(outcomes: outcomes, seconds: partClock.seconds, cpuSeconds: partClock.cpuSeconds,
                                   promptTokens: part.reduce(0) { $0 + ids[$1].count })]
        }
        return TaskEvaluation(parts[0], setup: setup)
    }

    /// The test items of `task` under several methods at once, one result per method in order,
    /// each equal to `evaluate(method, …)`'s. Methods that answer the same prompts (one shots
    /// count) under exact match share one pass: each prompt is prefilled up to its last token
    /// once and every method continues from there (`ModelBackend.generateBranches`). A method's
    /// seconds and prompt tokens are then its own (last tokens and generation) plus an equal
    /// share of the shared prefill. Otherwise the methods run one after another.
    /// - Parameter journals: none, or one per method (`evaluate(_:task:items:train:options:journal:)`).
    /// - Throws: as `evaluate(_:task:items:train:options:journal:)`.
    public func evaluate(
        _ methods: [any PreparedMethod], task: TextTask, items: [TaskItem], train: [TaskItem], options: EvaluationOptions,
        journals: [(any EvaluationJournal)?] = []
    ) throws -> [TaskEvaluation] {
        precondition(journals.isEmpty || journals.count == methods.count, "Evaluator: \(journals.count) journals for \(methods.count) methods")
        let journals = journals.isEmpty ? Array(repeating: nil, count: methods.count) : journals
        guard methods.count > 1, options.scoring == .exactMatch, Set(methods.map(\.shots)).count == 1 else {
            return try zip(methods, journals).map { try evaluate($0, task: task, items: items, train: train, options: options, journal: $1) }
        }
        let clock = CostClock()
        let (prompts, ids) = try testPrompts(shots: methods[0].shots, task: task, items: items, train: train, options: options)
        let n = Double(methods.count)
        let setup = (clock.seconds / n, clock.cpuSeconds / n)
        let parts = try partedRun(indices: Array(ids.indices), prompts: prompts, tokens: ids.map(\.count), options: options, journals: journals) { part in
            let partClock = CostClock()
            let partPrompts = part.map { prompts[$0] }, partIds = part.map { ids[$0] }
            let generation = generationOptions(options, prompts: partPrompts, scorer: task.answerScorer)
            let run = try backend.generateBranches(partIds, options: generation, plans: methods.map { method in
                { range in InterventionPlan(constants: method.interventions(batchSize: range.count)) }
            })
            let unshared = partIds.reduce(0) { $0 + $1.count } - run.prefixTokens
            let seconds = methods.indices.map { run.branchSeconds[$0] + run.prefillSeconds / n }
            // The part's CPU seconds go to the methods as their wall seconds do.
            let cpu = partClock.cpuSeconds, total = seconds.reduce(0, +)
            return methods.indices.map { k in
                EvaluationPart(
                    outcomes: exactMatchOutcomes(partPrompts, indices: part, generated: run.branches[k], scorer: task.answerScorer),
                    seconds: seconds[k], cpuSeconds: total > 0 ? cpu * seconds[k] / total : cpu / n,
                    // A backend that shares nothing (prefixTokens 0) runs every prompt token per method.
                    promptTokens: run.prefixTokens == 0 ? unshared : partIds.count + Int((Double(run.prefixTokens) / n).rounded()))
            }
        }
        return parts.map { TaskEvaluation($0, setup: setup) }
    }

    /// The test prompts of the first `options.maxItems` items and their token ids.
    /// - Throws: `MethodError.invalidSetting` for a batch size or token budget below 1 or a
    ///   negative item limit; what building the prompts throws.
    private func testPrompts(
        shots: Int, task: TextTask, items: [TaskItem], train: [TaskItem], options: EvaluationOptions
    ) throws -> (prompts: [TextPrompt], ids: [[Int]]) {
        let check = SettingCheck(method: "evaluation")
        try check.atLeast("batch_size", options.batchSize, 1)
        try check.atLeast("max_new_tokens", options.maxNewTokens, 1)
        try check.atLeast("journal_part_tokens", options.journalPartTokens, 1)
        if let maxItems = options.maxItems { try check.atLeast("max_items", maxItems, 0) }
        let used = Array(items.prefix(options.maxItems ?? items.count))
        let sampler = PromptSampler(task: task, train: train)
        let prompts = try used.indices.map {
            try sampler.prompt(forItem: $0, of: used, split: .test, shots: shots, seed: options.seed)
        }
        return (prompts, prompts.map { model.encode($0.text) })
    }

    /// Exact-match generation: up to `maxNewTokens`, each prompt stopping once its score is
    /// decided (`AnswerScorer.decidedScore`), so the scores are those of the whole generation.
    private func generationOptions(_ options: EvaluationOptions, prompts: [TextPrompt], scorer: AnswerScorer) -> GenerationOptions {
        let targets = prompts.map(\.target)
        return GenerationOptions(
            maxNewTokens: options.maxNewTokens, suppressEndOfSequenceAtFirstStep: true,
            stopWhen: { prompt, text in scorer.decidedScore(generatedText: text, target: targets[prompt]) != nil },
            batchSize: options.batchSize)
    }

    /// Outcomes of the items at `indices`, whose prompts and generations are `prompts` and `generated`.
    private func exactMatchOutcomes(_ prompts: [TextPrompt], indices: [Int], generated: [Generated], scorer: AnswerScorer) -> [ItemOutcome] {
        zip(indices, zip(prompts, generated)).map { index, pair in
            ItemOutcome(index: index, target: pair.0.target, prediction: pair.1.text,
                        correct: scorer.isExactMatch(prediction: pair.1.text, target: pair.0.target))
        }
    }

    /// First-token outcomes of the prompts at `indices` (in that order), run in batches.
    private func firstTokenOutcomes(
        _ prompts: [TextPrompt], ids: [[Int]], indices: [Int], batchSize: Int, interventions: (Int) -> [Intervention]
    ) throws -> [ItemOutcome] {
        let targets = try indices.map { try prompts[$0].targetToken(tokenize: model.encode) }
        let v = backend.shape.vocabularySize
        var outcomes = [ItemOutcome]()
        var start = 0
        while start < indices.count {
            let range = start..<min(indices.count, start + batchSize)
            let batch = range.map { ids[indices[$0]] }
            let output = try backend.forward(batch, plan: InterventionPlan(constants: interventions(batch.count)), logits: .last)
            guard let logits = output.logits else { preconditionFailure("forward with .last returned no logits") }
            for (row, k) in range.enumerated() {
                let rowLogits = Array(logits.scalars[(row * v)..<((row + 1) * v)])
                let predicted = rowLogits.indices.max { rowLogits[$0] < rowLogits[$1] }!
                outcomes.append(ItemOutcome(
                    index: indices[k], target: prompts[indices[k]].target,
                    prediction: model.tokenizer.decode([predicted], skipSpecialTokens: false),
                    correct: AnswerScorer.isFirstTokenMatch(logits: rowLogits, targetToken: targets[k])))
            }
            start = range.upperBound
        }
        return outcomes
    }

    /// Indices of `items` that `ScoringMode.filterShots`-shot ICL answers right by its first
    /// token, with the demonstrations the ICL method itself would draw (same seed). Remembered per
    /// (task, items, seed) in `filters`, so the methods of one sweep share one ICL pass per task.
    func itemsICLAnswers(task: TextTask, items: [TaskItem], train: [TaskItem], options: EvaluationOptions) throws -> [Int] {
        let key = ICLFilterKey(task: task.name, items: items, seed: options.seed)
        if let kept = filters.kept[key] { return kept }
        var icl = options
        icl.scoring = .firstToken
        icl.maxItems = nil
        let answers = try evaluate(PromptOnlyMethod.Prepared(shots: ScoringMode.filterShots), task: task, items: items,
                                   train: train, options: icl)
        let kept = answers.outcomes.filter(\.correct).map(\.index)
        filters.kept[key] = kept
        return kept
    }
}

/// The items an ICL pass kept, per (task, items, seed): shared by the copies of one `Evaluator`.
final class ICLFilters: @unchecked Sendable {
    var kept = [ICLFilterKey: [Int]]()
}

struct ICLFilterKey: Hashable {
    var task: String
    var items: [TaskItem]
    var seed: UInt64
}

import Foundation
import Testing
@testable import Models
import Tasks
import Tensors
import TestSupport
@testable import Methods

@Suite(.serialized) struct EvaluatorTests {
    /// Exact-match generation in batches gives the same answers as one prompt at a time, with
    /// and without interventions.
    @Test func batchedEvaluationEqualsBatchOfOne() throws {
        let model = try TinyLlama.model
        let ctx = try SyntheticTasks.context(SyntheticTasks.reverse)
        let task = ctx.task
        let test = SyntheticTasks.splits(task).test
        let site = try SoftInjectionMethod(settings: smallSITESettings(steps: 2)).prepare(ctx, cache: nil)
        for method in [try PromptOnlyMethod(shots: 2).prepare(ctx, cache: nil), site] {
            var options = EvaluationOptions(maxItems: 6, batchSize: 6, seed: 3)
            let batched = try Evaluator(model: model).evaluate(method, task: task, items: test, train: ctx.train, options: options)
            options.batchSize = 1
            let single = try Evaluator(model: model).evaluate(method, task: task, items: test, train: ctx.train, options: options)
            #expect(batched.outcomes.map(\.prediction) == single.outcomes.map(\.prediction))
            #expect(batched.count == 6 && batched.correct == single.correct)
        }
    }

    /// Real-model end to end: a sweep of zero-shot, ICL and SITE on SmolLM2 and a real task, in
    /// the scoring of the tables and the filtered one (whose filter needs a model that answers).
    @Test(arguments: [ScoringMode.exactMatch, .filteredFirstToken])
    func everyMethodRunsEndToEnd(scoring: ScoringMode) throws {
        let model = try SmolLM2.model
        let sweep = Sweep(
            model: model, tasks: [try TaskRegistry.site57.task(named: "country_capital")],
            methods: [PromptOnlyMethod.zeroShot, PromptOnlyMethod(shots: 3), SoftInjectionMethod(settings: smallSITESettings(steps: 2))],
            data: sharedData, seed: 1, evaluation: EvaluationOptions(scoring: scoring, maxItems: 4), cache: nil)
        let records = try sweep.run()
        // Under exact match zero-shot and SITE run as one step (they share the 0-shot prompts' prefill).
        let order: [MethodName] = scoring == .exactMatch ? [.zeroShot, .site, .icl(shots: 3)] : [.zeroShot, .icl(shots: 3), .site]
        #expect(records.map(\.method) == order)
        let zeroShot = try #require(records.first { $0.method == .zeroShot })
        let icl = try #require(records.first { $0.method == .icl(shots: 3) })
        let site = try #require(records.first { $0.method == .site })
        // The filtered scoring keeps the items 10-shot ICL gets right: the same for every method.
        let kept = scoring == .filteredFirstToken ? zeroShot.items : 4
        for r in records {
            #expect(r.items == kept && r.accuracy >= 0 && r.accuracy <= 1)
        }
        try #require(kept > 0, "10-shot ICL answers some of the first 4 country_capital items")
        #expect(icl.testPromptTokens > zeroShot.testPromptTokens, "3-shot prompts are longer than 0-shot ones")
        #expect(site.testPromptTokens == zeroShot.testPromptTokens, "SITE answers the 0-shot prompts")
    }

    /// The filtered scoring keeps exactly the items that 10-shot ICL answers right by its first
    /// token, and scores a method by first token on those alone.
    @Test func filteredScoringKeepsTheItemsICLAnswers() throws {
        let model = try TinyLlama.model
        let ctx = try SyntheticTasks.context(SyntheticTasks.reverse)
        let (test, answered) = try Self.itemsICLAnswersEveryOther(ctx, count: 12, seed: 2)
        let evaluator = Evaluator(model: model)
        var options = EvaluationOptions(scoring: .firstToken, maxItems: 12, batchSize: 5, seed: 2)
        let icl = try evaluator.evaluate(PromptOnlyMethod(shots: ScoringMode.filterShots).prepare(ctx, cache: nil),
                                         task: ctx.task, items: test, train: ctx.train, options: options)
        let zeroShot = try PromptOnlyMethod.zeroShot.prepare(ctx, cache: nil)
        let plain = try evaluator.evaluate(zeroShot, task: ctx.task, items: test, train: ctx.train, options: options)
        options.scoring = .filteredFirstToken
        let filtered = try evaluator.evaluate(zeroShot, task: ctx.task, items: test, train: ctx.train, options: options)

        let kept = icl.outcomes.filter(\.correct).map(\.index)
        #expect(kept == answered)
        try #require(!kept.isEmpty && kept.count < 12, "a filter that keeps some items and drops others")
        #expect(filtered.outcomes.map(\.index) == kept)
        #expect(filtered.count == kept.count)
        #expect(filtered.outcomes.map(\.correct) == kept.map { plain.outcomes[$0].correct })
        // Another seed draws other demonstrations, so the filter is not reused for it.
        options.seed = 3
        let reseeded = try evaluator.evaluate(zeroShot, task: ctx.task, items: test, train: ctx.train, options: options)
        options.scoring = .firstToken
        let icl3 = try evaluator.evaluate(PromptOnlyMethod(shots: ScoringMode.filterShots).prepare(ctx, cache: nil),
                                          task: ctx.task, items: test, train: ctx.train, options: options)
        #expect(reseeded.outcomes.map(\.index) == icl3.outcomes.filter(\.correct).map(\.index))
    }

    /// The first `count` test items of `context`'s task, every other one given an output that
    /// starts with the word 10-shot ICL (seeded by `seed`) predicts for it, where that prediction
    /// is a word: a test prompt holds the item's input and train demonstrations only, so its own
    /// output does not change what is predicted. The others keep outputs that do not start so.
    /// - Returns: the items and the indices ICL answers by its first token.
    static func itemsICLAnswersEveryOther(_ context: MethodContext, count: Int, seed: UInt64) throws -> (items: [TaskItem], answered: [Int]) {
        var items = Array(SyntheticTasks.splits(context.task).test.prefix(count))
        var answered = [Int]()
        for i in items.indices {
            let prompt = try context.sampler.prompt(forItem: i, of: items, split: .test, shots: ScoringMode.filterShots, seed: seed)
            let ids = context.model.encode(prompt.text)
            let logits = context.model.decoder.forward([ids], caches: [context.model.decoder.makeCache()]).logits!.value.scalars
            let predicted = logits.indices.max { logits[$0] < logits[$1] } ?? 0
            let word = context.model.tokenizer.decode([predicted]).trimmingCharacters(in: .whitespaces)
            let isWord = !word.isEmpty && word.allSatisfy(\.isLetter)
            if i % 2 == 0 && isWord {
                items[i].output = .text(word + "xy")
                answered.append(i)
            } else if isWord && items[i].output.text.hasPrefix(word) {
                items[i].output = .text(word.hasPrefix("q") ? "zz" : "qq")
            }
        }
        return (items, answered)
    }
}

/// Several methods over one task's 0-shot prompts, the prefill shared (`generateBranches`).
@Suite(.serialized) struct SharedEvaluationTests {
    /// Each method's answers equal its own evaluation, batch by batch (a last batch of 2).
    @Test func sharedAnswersEqualEachMethodAlone() throws {
        let model = try TinyLlama.model
        let ctx = try SyntheticTasks.context(SyntheticTasks.reverse)
        let test = SyntheticTasks.splits(ctx.task).test
        let methods: [any PreparedMethod] = [
            try PromptOnlyMethod.zeroShot.prepare(ctx, cache: nil),
            try SoftInjectionMethod(settings: smallSITESettings(steps: 2)).prepare(ctx, cache: nil),
            try SoftInjectionMethod(settings: smallSITESettings(steps: 3)).prepare(ctx, cache: nil),
        ]
        let options = EvaluationOptions(maxItems: 8, batchSize: 3, seed: 3)
        let evaluator = Evaluator(model: model)
        let shared = try evaluator.evaluate(methods, task: ctx.task, items: test, train: ctx.train, options: options)
        #expect(shared.count == 3)
        var predictions = Set<[String]>()
        for (method, result) in zip(methods, shared) {
            let alone = try evaluator.evaluate(method, task: ctx.task, items: test, train: ctx.train, options: options)
            #expect(result.outcomes == alone.outcomes)
            #expect(result.count == 8 && result.correct == alone.correct)
            // 8 last tokens each, plus a third of the prefixes run once for all three.
            #expect(result.promptTokens == 8 + Int((Double(alone.promptTokens - 8) / 3).rounded()))
            predictions.insert(result.outcomes.map(\.prediction))
        }
        #expect(predictions.count > 1, "the interventions change some answers, so each branch ran its own")
    }

    /// The native backend's branches equal one `generate` per plan; a plan acting before the
    /// last token cannot share the prefix and is refused, naming the call.
    @Test func nativeBranchesEqualGenerateAndRefuseEarlierPositions() throws {
        let model = try TinyLlama.model
        let backend = NativeBackend(model: model)
        let prompts = ["Q: abc\nA:", "Q: hello there\nA:", "Q: x\nA:", "Q: sun\nA:"].map { model.encode($0) }
        let options = GenerationOptions(maxNewTokens: 5, batchSize: 3)
        let d = backend.shape.hiddenSize
        func add(_ scale: Float, atFirstToken: Bool = false) -> (Range<Int>) -> InterventionPlan {
            { range in
                let position: InterventionPosition = atFirstToken ? .indices(Array(repeating: 0, count: range.count)) : .last
                let value = Tensor(shape: [range.count, d], scalars: (0..<(range.count * d)).map { Float($0 % 7) * scale })
                return InterventionPlan(
                    [InterventionRequest(.residual(layer: 1), at: position, .add(.named("v")))],
                    inputs: InterventionInputs(constants: ["v": value]))
            }
        }
        let plans = [add(0), add(0.5), add(-0.5)]
        let branched = try backend.generateBranches(prompts, options: options, plans: plans)
        #expect(branched.prefixTokens == prompts.reduce(0) { $0 + $1.count - 1 })
        for (k, plan) in plans.enumerated() {
            #expect(branched.branches[k] == (try backend.generate(prompts, options: options, plan: plan)))
        }
        #expect(Set(branched.branches.map { $0.map(\.tokens) }).count == 3, "each branch's addition changes its answers")
        #expect(throws: BackendError.interventionBeforeLastToken(call: "generateBranches")) {
            try backend.generateBranches(prompts, options: options, plans: [add(1, atFirstToken: true)])
        }
    }
    /// A stop rule sees each prompt's index among all prompts, across batches and branches:
    /// prompt i stops after i % 3 + 1 tokens, and its tokens are the first ones of the
    /// unstopped generation.
    @Test func stopRulesSeeEachPromptsIndexAcrossBatches() throws {
        let model = try TinyLlama.model
        let backend = NativeBackend(model: model)
        let prompts = ["Q: abc\nA:", "Q: hello there\nA:", "Q: x\nA:", "Q: sun\nA:", "Q: a b\nA:"].map { model.encode($0) }
        let free = GenerationOptions(maxNewTokens: 6, suppressEndOfSequenceAtFirstStep: true, batchSize: 2)
        var stopping = free
        let calls = CallCounts()
        stopping.stopWhen = { prompt, _ in calls.count(prompt) >= prompt % 3 + 1 }
        let plan: (Range<Int>) -> InterventionPlan = { _ in InterventionPlan() }
        let whole = try backend.generate(prompts, options: free, plan: plan)
        let stopped = try backend.generate(prompts, options: stopping, plan: plan)
        for (i, (g, w)) in zip(stopped, whole).enumerated() where w.tokens.count > i % 3 {
            #expect(g.tokens == Array(w.tokens.prefix(i % 3 + 1)) && g.stop == .stopRule, "prompt \(i): \(g) of \(w)")
        }
        calls.reset()
        let branched = try backend.generateBranches(prompts, options: stopping, plans: [plan])
        #expect(branched.branches[0] == stopped)
        // The torch backend cuts its worker's whole generations with the same rule, batch by batch.
        calls.reset()
        for i in 2..<prompts.count where whole[i].tokens.count > i % 3 {
            let cut = TorchBackend.applyingStopRules(whole[i].tokens, prompt: i - 2, endedAtEOS: false,
                                                     options: stopping.forPrompts(from: 2), tokenizer: model.tokenizer)
            #expect(cut == stopped[i], "prompt \(i)")
        }
    }
}

/// Calls of a stop rule per prompt (the rule is called once per generated token).
private final class CallCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var counts = [Int: Int]()

    /// Counts a call for `prompt` and returns its calls so far.
    func count(_ prompt: Int) -> Int {
        lock.withLock {
            counts[prompt, default: 0] += 1
            return counts[prompt]!
        }
    }

    func reset() { lock.withLock { counts = [:] } }
}

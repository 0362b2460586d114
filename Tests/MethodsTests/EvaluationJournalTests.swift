import Foundation
import Testing
@testable import Models
import Tasks
import Tensors
import TestSupport
@testable import Methods

/// A journal in memory that counts what it is asked to keep.
final class MemoryJournal: EvaluationJournal, @unchecked Sendable {
    var parts: [EvaluationPart]
    var recordCount = 0
    init(_ parts: [EvaluationPart] = []) { self.parts = parts }
    var location: String { "memory journal" }
    func recordedParts() throws -> [EvaluationPart] { parts }
    func record(_ part: EvaluationPart) throws {
        parts.append(part)
        recordCount += 1
    }
}

@Suite(.serialized) struct EvaluationJournalTests {
    /// Batches of 4 and a part budget of one token, so every batch is a part of its own: the 20
    /// test items go in five parts of 4.
    static let options = EvaluationOptions(maxItems: 20, batchSize: 4, seed: 4, journalPartTokens: 1)

    /// Parts are whole batches, closed before the batch that would pass the budget; a batch
    /// larger than the budget is a part alone.
    @Test func partsCloseBeforeTheBudget() {
        let tokens = [10, 10, 50, 10, 200, 10, 5]
        #expect(Evaluator.parts(Array(0..<7), tokens: tokens, batchSize: 2, budget: 60) == [[0, 1], [2, 3], [4, 5], [6]])
        #expect(Evaluator.parts(Array(0..<7), tokens: tokens, batchSize: 2, budget: 100) == [[0, 1, 2, 3], [4, 5], [6]])
        #expect(Evaluator.parts(Array(0..<7), tokens: tokens, batchSize: 2, budget: 1_000) == [Array(0..<7)])
        #expect(Evaluator.parts([4, 6, 1], tokens: tokens, batchSize: 2, budget: 1) == [[4, 6], [1]], "chosen items, in their order")
        #expect(Evaluator.parts([], tokens: tokens, batchSize: 2, budget: 1).isEmpty)
    }

    /// A journaled pass answers as an unjournaled one and records its items part by part, in test order.
    @Test(arguments: [ScoringMode.exactMatch, .firstToken])
    func journaledPassEqualsPlainPass(scoring: ScoringMode) throws {
        let (model, ctx) = (try TinyLlama.model, try SyntheticTasks.context(SyntheticTasks.reverse))
        let method = try PromptOnlyMethod(shots: 2).prepare(ctx, cache: nil)
        var options = Self.options
        options.scoring = scoring
        let evaluator = Evaluator(model: model)
        let plain = try evaluator.evaluate(method, task: ctx.task, items: SyntheticTasks.splits(ctx.task).test, train: ctx.train, options: options)
        let journal = MemoryJournal()
        let journaled = try evaluator.evaluate(method, task: ctx.task, items: SyntheticTasks.splits(ctx.task).test, train: ctx.train,
                                               options: options, journal: journal)
        #expect(journaled.outcomes == plain.outcomes)
        #expect(journaled.promptTokens == plain.promptTokens)
        #expect(journal.parts.map(\.indices) == stride(from: 0, to: 20, by: 4).map { Array($0..<($0 + 4)) })
        #expect(journal.parts.flatMap(\.outcomes) == plain.outcomes)
        #expect(journal.parts.allSatisfy { $0.passItems == 20 }, "each part says how many items its pass has")
        #expect(journal.parts.reduce(0) { $0 + $1.promptTokens } == plain.promptTokens)
    }

    /// A pass cut short resumes: the recorded parts are read back (their answers, seconds and
    /// tokens, not rerun), the rest is run and recorded, and the whole equals an uncut pass.
    @Test func cutPassResumesFromItsParts() throws {
        let (model, ctx) = (try TinyLlama.model, try SyntheticTasks.context(SyntheticTasks.reverse))
        let method = try PromptOnlyMethod(shots: 2).prepare(ctx, cache: nil)
        let test = SyntheticTasks.splits(ctx.task).test
        let evaluator = Evaluator(model: model)
        let full = MemoryJournal()
        let uncut = try evaluator.evaluate(method, task: ctx.task, items: test, train: ctx.train, options: Self.options, journal: full)
        // The first part as a killed run left it, its answers marked so that a rerun would show.
        var first = full.parts[0]
        first.outcomes = first.outcomes.map { ItemOutcome(index: $0.index, target: $0.target, prediction: "recorded", correct: true) }
        first.seconds = 1000
        first.cpuSeconds = 500
        first.promptTokens = 7
        let cut = MemoryJournal([first])
        let resumed = try evaluator.evaluate(method, task: ctx.task, items: test, train: ctx.train, options: Self.options, journal: cut)
        #expect(cut.recordCount == 4, "only the four missing parts are run and recorded")
        #expect(resumed.outcomes.prefix(4).allSatisfy { $0.prediction == "recorded" && $0.correct })
        #expect(Array(resumed.outcomes.dropFirst(4)) == Array(uncut.outcomes.dropFirst(4)))
        #expect(resumed.correct == 4 + uncut.outcomes.dropFirst(4).filter(\.correct).count)
        #expect(resumed.seconds >= 1000)
        #expect(try #require(resumed.cpuSeconds) >= 500 && uncut.cpuSeconds ?? 0 > 0)
        // A part an older journal kept without CPU seconds leaves the pass's CPU seconds unknown.
        first.cpuSeconds = nil
        let older = try evaluator.evaluate(method, task: ctx.task, items: test, train: ctx.train, options: Self.options, journal: MemoryJournal([first]))
        #expect(older.cpuSeconds == nil && older.outcomes == resumed.outcomes)
        #expect(resumed.promptTokens == 7 + full.parts.dropFirst().reduce(0) { $0 + $1.promptTokens })
    }

    /// Parts of other boundaries (recorded under another batch size) are not used; the pass runs
    /// its own parts.
    @Test func partsOfOtherBoundariesAreRunAgain() throws {
        let (model, ctx) = (try TinyLlama.model, try SyntheticTasks.context(SyntheticTasks.reverse))
        let method = try PromptOnlyMethod(shots: 2).prepare(ctx, cache: nil)
        let test = SyntheticTasks.splits(ctx.task).test
        let fake = EvaluationPart(outcomes: (0..<5).map { ItemOutcome(index: $0, target: "x", prediction: "x", correct: true) },
                                  seconds: 1, cpuSeconds: 1, promptTokens: 1)
        // Every recorded part's targets are checked, used or not: a wrong one is an error.
        let journal = MemoryJournal([fake])
        #expect(throws: EvaluationJournalError.self) {
            _ = try Evaluator(model: model).evaluate(method, task: ctx.task, items: test, train: ctx.train, options: Self.options, journal: journal)
        }
        // With the right targets the five items, which never form a part of 4, are left unused.
        var matching = fake
        let prompts = try (0..<5).map { try PromptSampler(task: ctx.task, train: ctx.train).prompt(forItem: $0, of: Array(test.prefix(20)), split: .test, shots: 2, seed: 4) }
        matching.outcomes = (0..<5).map { ItemOutcome(index: $0, target: prompts[$0].target, prediction: "x", correct: true) }
        let other = MemoryJournal([matching])
        let result = try Evaluator(model: model).evaluate(method, task: ctx.task, items: test, train: ctx.train, options: Self.options, journal: other)
        #expect(other.recordCount == 5)
        #expect(!result.outcomes.contains { $0.prediction == "x" })
    }

    /// A recorded item whose target is not the test item's (the task file changed) is an error
    /// naming the journal and the item, not a silently mixed result.
    @Test func recordedTargetsMustMatch() throws {
        let (model, ctx) = (try TinyLlama.model, try SyntheticTasks.context(SyntheticTasks.reverse))
        let method = try PromptOnlyMethod(shots: 2).prepare(ctx, cache: nil)
        let test = SyntheticTasks.splits(ctx.task).test
        let full = MemoryJournal()
        _ = try Evaluator(model: model).evaluate(method, task: ctx.task, items: test, train: ctx.train, options: Self.options, journal: full)
        var part = full.parts[1]
        part.outcomes[3].target = "zzz"
        do {
            _ = try Evaluator(model: model).evaluate(method, task: ctx.task, items: test, train: ctx.train, options: Self.options,
                                                     journal: MemoryJournal([part]))
            Issue.record("a journal with another target was used")
        } catch let error as EvaluationJournalError {
            #expect(error.location == "memory journal" && error.item == 7 && error.recordedTarget == "zzz")
            #expect(error.expectedTarget == full.parts[1].outcomes[3].target)
            #expect(error.description.contains("memory journal: item 7"))
        }
    }

    /// Methods sharing a prefill keep a journal each: a part one of them already holds is still
    /// run for the other, recorded only where it is missing, and each result equals its uncut one.
    @Test func sharedPassKeepsAJournalPerMethod() throws {
        let (model, ctx) = (try TinyLlama.model, try SyntheticTasks.context(SyntheticTasks.reverse))
        let methods: [any PreparedMethod] = [
            try PromptOnlyMethod.zeroShot.prepare(ctx, cache: nil),
            try SoftInjectionMethod(settings: smallSITESettings(steps: 2)).prepare(ctx, cache: nil),
        ]
        let test = SyntheticTasks.splits(ctx.task).test
        let evaluator = Evaluator(model: model)
        let plain = try evaluator.evaluate(methods, task: ctx.task, items: test, train: ctx.train, options: Self.options)
        let first = MemoryJournal(), second = MemoryJournal()
        let journaled = try evaluator.evaluate(methods, task: ctx.task, items: test, train: ctx.train, options: Self.options,
                                               journals: [first, second])
        #expect(journaled.map(\.outcomes) == plain.map(\.outcomes))
        #expect(first.parts.count == 5 && second.parts.count == 5)
        let partial = MemoryJournal(Array(first.parts.prefix(2))), empty = MemoryJournal()
        let resumed = try evaluator.evaluate(methods, task: ctx.task, items: test, train: ctx.train, options: Self.options,
                                             journals: [partial, empty])
        #expect(resumed.map(\.outcomes) == plain.map(\.outcomes))
        #expect(partial.recordCount == 3 && empty.recordCount == 5)
    }
}

import Foundation
import Testing
import Models
import Tasks
import TestSupport
@testable import Methods

@Suite(.serialized) struct EvaluatorTests {
    /// Exact-match generation in batches gives the same answers as one prompt at a time, with
    /// and without interventions.
    @Test func batchedEvaluationEqualsBatchOfOne() throws {
        let model = try SmolLM2.model
        let ctx = try context("country_capital", model: model)
        let task = ctx.task
        let test = try task.load(.test, from: sharedData)
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

    /// Every method end to end on a few items, in both scoring modes.
    @Test(arguments: ScoringMode.allCases)
    func everyMethodRunsEndToEnd(scoring: ScoringMode) throws {
        let model = try SmolLM2.model
        let sweep = Sweep(
            model: model, tasks: [try TaskRegistry.site57.task(named: "country_capital")],
            methods: [PromptOnlyMethod.zeroShot, PromptOnlyMethod(shots: 3), SoftInjectionMethod(settings: smallSITESettings(steps: 2))],
            data: sharedData, seed: 1, evaluation: EvaluationOptions(scoring: scoring, maxItems: 4), cache: nil)
        let records = try sweep.run()
        #expect(records.map(\.method) == ["zero-shot", "icl-3", "site"])
        for r in records {
            #expect(r.items == 4 && r.accuracy >= 0 && r.accuracy <= 1 && r.testPromptTokens > 0)
        }
        #expect(records[1].testPromptTokens > records[0].testPromptTokens, "3-shot prompts are longer than 0-shot ones")
        #expect(records[2].testPromptTokens == records[0].testPromptTokens, "SITE answers the 0-shot prompts")
    }
}

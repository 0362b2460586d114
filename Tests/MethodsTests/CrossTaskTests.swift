import Foundation
import Models
import Tasks
import Testing
@testable import Methods

@Suite struct CrossTaskTests {
    /// Cross-task injection with A == B, read back from the stored artifact, answers exactly as SITE
    /// itself on a tiny run (same predictions, same accuracy).
    @Test func sameTaskEqualsSITE() throws {
        let model = try TinyLlama.model
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tvb-crosstask-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = ArtifactCache(root: root)
        let ctx = try SyntheticTasks.context(SyntheticTasks.reverse)
        let method = SoftInjectionMethod(settings: smallSITESettings(steps: 2))
        let site = try method.prepareJointly([ctx], cache: cache)[0]
        let splits = SyntheticTasks.splits(ctx.task)
        let options = EvaluationOptions(scoring: .exactMatch, maxItems: 6, batchSize: 6)
        let expected = try Evaluator(model: model).evaluate(site, task: ctx.task, items: splits.test, train: splits.train, options: options)

        let artifact = try SITEArtifact.load(folder: cache.folder(model: model.name, method: method.name, task: ctx.task.name,
                                                                  settings: method.artifactSettings(ctx)), task: ctx.task.name)
        #expect(artifact.alphaLogits == site.alphaLogits && artifact.taskEmbedding == site.embedding)
        let analysis = HeadAnalysis(model: model, artifacts: [artifact], tasks: [ctx.task], splits: [splits], options: options)
        #expect(HeadExperiment.crossTask(alphaOf: ctx.task.name, embeddingOf: ctx.task.name) == .site)
        let same = try analysis.evaluate(.site, on: 0)
        #expect(same.count == 6)
        #expect(same.correct == expected.correct)
        #expect(same.outcomes.map(\.prediction) == expected.outcomes.map(\.prediction))

        // Patching no head at all (α = 0 everywhere) answers like the plain zero-shot model.
        let zeroShot = try Evaluator(model: model).evaluate(PromptOnlyMethod.zeroShot.prepare(ctx, cache: nil), task: ctx.task,
                                                            items: splits.test, train: splits.train, options: options)
        let none = try Evaluator(model: model).evaluate(HeadInjection.patching([], of: artifact), task: ctx.task,
                                                        items: splits.test, train: splits.train, options: options)
        #expect(none.outcomes.map(\.prediction) == zeroShot.outcomes.map(\.prediction))

        // Several experiments at once (one prefill per prompt) answer as each alone.
        let together = try analysis.evaluate([.site, .highest(3), .lowest(3)], on: 0)
        let alone = try [HeadExperiment.site, .highest(3), .lowest(3)].map { try analysis.evaluate([$0], on: 0)[0] }
        #expect(together.map { $0.outcomes.map(\.prediction) } == alone.map { $0.outcomes.map(\.prediction) })
        #expect(together[0].outcomes.map(\.prediction) == expected.outcomes.map(\.prediction))
    }
}

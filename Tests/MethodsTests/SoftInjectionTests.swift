import Foundation
import Testing
import ModelFormats
import Models
import Tasks
import Tensors
import TestSupport
@testable import Methods

@Suite(.serialized) struct SoftInjectionTests {
    /// The gradient of the target token's loss with respect to the mixing logits, on the
    /// last-token path, against central finite differences of the same loss.
    @Test func alphaGradientMatchesFiniteDifferences() throws {
        let model = try TinyLlama.model
        let c = model.decoder.configuration
        let ctx = try SyntheticTasks.context(SyntheticTasks.reverse)
        let method = SoftInjectionMethod(settings: smallSITESettings())
        let (embedding, _) = try method.taskEmbedding(ctx)
        let prompt = try ctx.sampler.prompt(forItem: 3, of: ctx.train, split: .train, shots: 0, seed: 0)
        let prompts = try LastTokenPrompts(model: model, textPrompts: [prompt])
        var generator = SplitMix64(seed: 7)
        let start = Tensor(shape: [c.layerCount, c.attentionHeads], scalars: (0..<(c.layerCount * c.attentionHeads)).map { _ in Float(generator.nextGaussian()) })

        func loss(_ logits: Tensor) -> (Double, Tensor) {
            let tape = Tape()
            let parameter = tape.parameter(logits)
            let weights = tape.sigmoid(parameter)
            let interventions = (0..<c.layerCount).map { layer in
                Intervention(.attentionHeads(layer: layer), .mixHeads(
                    target: Variable(constant: Tensor(shape: [1, c.attentionWidth], scalars: embedding.row(layer))),
                    weights: tape.rows(weights, [layer])))
            }
            let (value, _) = prompts.loss([0], tape: tape, interventions: interventions)
            return (Double(value.value.scalars[0]), tape.gradients(of: value)[parameter])
        }
        let (_, gradient) = loss(start)
        // The three largest gradients, where a wrong gradient shows, and three fixed coordinates.
        let largest = gradient.scalars.indices.sorted { abs(gradient.scalars[$0]) > abs(gradient.scalars[$1]) }.prefix(3)
        #expect(abs(gradient.scalars[largest.first!]) > 0.01, "the loss depends on the mixing logits")
        let epsilon: Float = 0.05
        for coordinate in Array(largest) + [0, c.attentionHeads + 2, c.attentionHeads * 2 + 3] {
            var plus = start, minus = start
            plus.scalars[coordinate] += epsilon
            minus.scalars[coordinate] -= epsilon
            let numeric = (loss(plus).0 - loss(minus).0) / Double(2 * epsilon)
            let analytic = Double(gradient.scalars[coordinate])
            // 3% relative, plus 2e-4 absolute: the truncation error of central differences at this
            // epsilon and the Float32 rounding of a loss near 5 (measured up to 1.4e-4).
            #expect(abs(numeric - analytic) <= 0.03 * abs(numeric) + 2e-4, "coordinate \(coordinate): tape \(analytic), finite differences \(numeric)")
        }
    }

    /// SITE's test-time interventions, given the reference task embedding and logits, reproduce the
    /// reference soft-injection losses when the prompt is run whole.
    @Test func preparedInterventionsReproduceReferenceLosses() throws {
        let model = try SmolLM2.model
        let fixture = try ReferenceFixture.load("smollm2-135m-instruct-q4_1")
        let tensors = try SafetensorsFile(contentsOf: ReferenceFixture.folder("smollm2-135m-instruct-q4_1").appendingPathComponent("tensors.safetensors"))
        let c = model.decoder.configuration
        let prepared = SoftInjectionMethod.Prepared(
            embedding: Tensor(shape: [c.layerCount, c.attentionWidth], scalars: try tensors.floats(named: "site.task_embedding")),
            alphaLogits: Tensor(shape: [c.layerCount, c.attentionHeads], scalars: try tensors.floats(named: "site.alpha_logit")),
            facts: [:], preparation: PreparationCost())
        let checks = fixture.site_checks
        let prompts = checks.map { fixture.prompts[$0.index].token_ids }
        let tape = Tape()
        let output = model.decoder.forward(prompts, caches: prompts.map { _ in model.decoder.makeCache() },
                                           tape: tape, interventions: prepared.interventions(batchSize: prompts.count))
        let losses = tape.crossEntropy(logits: output.logits!, targets: checks.map(\.target_first_token)).value.scalars
        for (check, loss) in zip(checks, losses) {
            #expect(abs(Double(loss) - check.loss) < 1e-3, "check \(check.index): \(loss) vs \(check.loss)")
        }
    }

    /// Tasks trained together end with the logits each reaches alone; the same seed gives the
    /// same logits twice.
    @Test func jointTrainingEqualsTrainingAloneAndIsDeterministic() throws {
        let method = SoftInjectionMethod(settings: smallSITESettings())
        let a = try SyntheticTasks.context(SyntheticTasks.reverse), b = try SyntheticTasks.context(SyntheticTasks.upper)
        let joint = try method.prepareJointly([a, b], cache: nil)
        let aloneA = try method.prepareJointly([a], cache: nil)[0]
        let aloneB = try method.prepareJointly([b], cache: nil)[0]
        #expect(relativeError(joint[0].alphaLogits.scalars, aloneA.alphaLogits.scalars) < 1e-4)
        #expect(relativeError(joint[1].alphaLogits.scalars, aloneB.alphaLogits.scalars) < 1e-4)
        #expect(joint[0].embedding == aloneA.embedding)
        let again = try method.prepareJointly([a], cache: nil)[0]
        #expect(again.alphaLogits == aloneA.alphaLogits && again.embedding == aloneA.embedding)
        #expect(aloneA.alphaLogits.scalars.contains { $0 != 0 }, "training moved the logits")
    }

    /// A prepared artifact is saved, then reused (not recomputed) when the settings match, and
    /// ignored when they differ.
    @Test func artifactsAreReusedOnlyForTheSameSettings() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tvb-artifacts-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = ArtifactCache(root: root)
        let ctx = try SyntheticTasks.context(SyntheticTasks.reverse)
        let method = SoftInjectionMethod(settings: smallSITESettings(steps: 2))
        let first = try method.prepare(ctx, cache: cache) as! SoftInjectionMethod.Prepared
        #expect(!first.preparation.fromCache)
        let second = try method.prepare(ctx, cache: cache) as! SoftInjectionMethod.Prepared
        #expect(second.preparation.fromCache)
        #expect(second.alphaLogits == first.alphaLogits && second.embedding == first.embedding)
        let other = try SoftInjectionMethod(settings: smallSITESettings(steps: 3)).prepare(ctx, cache: cache)
        #expect(!other.preparation.fromCache)
    }

    /// `prepareMissing` trains only the tasks the cache lacks, in groups of the given size, stores
    /// what `prepareJointly` gives for them, and trains nothing on a second call.
    @Test func prepareMissingTrainsOnlyWhatTheCacheLacks() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tvb-missing-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = ArtifactCache(root: root)
        let method = SoftInjectionMethod(settings: smallSITESettings(steps: 2))
        let contexts = try [SyntheticTasks.reverse, SyntheticTasks.upper, SyntheticTasks.first].map { try SyntheticTasks.context($0) }
        _ = try method.prepare(contexts[1], cache: cache)

        var groups = [[String]]()
        var storedWhenFinished = [[String]]()
        let prepared = try method.prepareMissing(contexts, cache: cache, groupSize: 1, starting: { groups.append($0) }, finished: { _ in
            storedWhenFinished.append(try contexts.map(\.task.name).filter {
                try cache.contains(model: contexts[0].model.name, method: .site, task: $0, settings: method.artifactSettings(contexts[0]))
            })
        })
        #expect(prepared == ["reverse", "first-letter"])
        #expect(groups == [["reverse"], ["first-letter"]])
        // Each group is stored before `finished` hears of it, and the next is not yet.
        #expect(storedWhenFinished == [["reverse", "upper"], ["reverse", "upper", "first-letter"]])
        for context in contexts {
            let stored = try #require(try method.prepare(context, cache: cache) as? SoftInjectionMethod.Prepared)
            #expect(stored.preparation.fromCache, "\(context.task.name) was stored")
            let alone = try method.prepareJointly([context], cache: nil)[0]
            #expect(stored.alphaLogits == alone.alphaLogits && stored.embedding == alone.embedding, "\(context.task.name)")
        }

        groups = []
        #expect(try method.prepareMissing(contexts, cache: cache, groupSize: 2) { groups.append($0) }.isEmpty)
        #expect(groups.isEmpty)
    }
}

// Every user-given setting out of range, every split too small and every broken cached artifact
// gives a typed MethodError that names the method, the setting or file, and what is allowed.
import Foundation
import Testing
@testable import Methods
import Models
import ModelFormats
import Tasks
import Tensors
import TestSupport

@Suite(.serialized) struct MethodErrorTests {
    /// A fresh temporary artifact cache, removed by the caller.
    static func temporaryCache() throws -> ArtifactCache {
        ArtifactCache(root: try FVTVFixture.temporaryFolder())
    }

    @Test func messagesNameTheMethodTheSettingAndTheRange() {
        #expect(MethodError.invalidSetting(method: "site", setting: "steps", value: "-1", allowed: "≥ 0").description
                == "site: setting steps = -1 is invalid; allowed: ≥ 0")
        #expect(MethodError.notEnoughItems(method: "site", task: "antonym", split: "valid", purpose: "choosing", needed: 1, available: 0).description
                == "site: task antonym has 0 valid items, 1 needed for choosing")
        #expect(MethodError.corruptArtifact(method: "ltv", path: "/x/artifact.json", reason: "truncated").description
                == "ltv: cached artifact /x/artifact.json is corrupt (truncated); delete it to prepare again")
        #expect(MethodError.artifactShape(method: "site", path: "/x", tensor: "alpha_logits", expected: [30, 9], found: [2, 2]).description
                == "site: cached artifact /x: tensor alpha_logits has shape [2, 2], expected [30, 9] for this model; delete it to prepare again")
        #expect(MethodError.artifactShape(method: "site", path: "/x", tensor: "alpha_logits", expected: [30, 9], found: nil).description
                .contains("has no such tensor"))
    }

    @Test func siteSettingsOutOfRangeThrow() throws {
        let f = try FVTVFixture.load()
        func error(_ change: (inout SoftInjectionSettings) -> Void) -> MethodError? {
            var s = smallSITESettings()
            change(&s)
            do { _ = try SoftInjectionMethod(settings: s).prepare(f.context(), cache: nil) } catch let e as MethodError { return e } catch { return nil }
            return nil
        }
        #expect(error { $0.embeddingShots = 0 } == .invalidSetting(method: "site", setting: "embedding_shots", value: "0", allowed: "≥ 1"))
        #expect(error { $0.embeddingPrompts = 0 } == .invalidSetting(method: "site", setting: "embedding_prompts", value: "0", allowed: "≥ 1"))
        #expect(error { $0.steps = -1 } == .invalidSetting(method: "site", setting: "steps", value: "-1", allowed: "≥ 0"))
        #expect(error { $0.learningRate = 0 } == .invalidSetting(method: "site", setting: "lr", value: "0.0", allowed: "finite and > 0"))
        #expect(error { $0.learningRate = -0.1 } == .invalidSetting(method: "site", setting: "lr", value: "-0.1", allowed: "finite and > 0"))
        #expect(error { $0.learningRate = .nan } == .invalidSetting(method: "site", setting: "lr", value: "nan", allowed: "finite and > 0"))
        #expect(error { $0.learningRate = .infinity } == .invalidSetting(method: "site", setting: "lr", value: "inf", allowed: "finite and > 0"))
        #expect(error { $0.promptsPerStep = 0 } == .invalidSetting(method: "site", setting: "prompts_per_step", value: "0", allowed: "≥ 1"))
        #expect(error { $0.validateEvery = 0 } == .invalidSetting(method: "site", setting: "validate_every", value: "0", allowed: "≥ 1"))
        #expect(error { $0.validationItems = 0 } == .invalidSetting(method: "site", setting: "validation_items", value: "0", allowed: "≥ 1"))
        #expect(error { $0.validationItems = -3; $0.keepBest = false } == .invalidSetting(method: "site", setting: "validation_items", value: "-3", allowed: "≥ 0"))
        #expect(error { $0.taskAgnostic = true; $0.steps = -2 } == .invalidSetting(method: "site-agnostic", setting: "steps", value: "-2", allowed: "≥ 0"))
    }

    @Test func siteSplitsTooSmallThrow() throws {
        let f = try FVTVFixture.load()
        let method = SoftInjectionMethod(settings: smallSITESettings())   // M = 4, N = 3
        let three = MethodContext(model: f.model, task: f.task, train: Array(f.splits.train.prefix(3)), valid: f.splits.valid, seed: 1)
        #expect(throws: MethodError.notEnoughItems(method: "site", task: "reverse", split: "train",
                                                   purpose: "4 embedding prompts of distinct queries", needed: 4, available: 3)) {
            try method.prepare(three, cache: nil)
        }
        var fewShots = smallSITESettings()
        fewShots.embeddingPrompts = 2
        #expect(throws: MethodError.notEnoughItems(method: "site", task: "reverse", split: "train",
                                                   purpose: "3-shot embedding prompts (a query and 3 other items)", needed: 4, available: 3)) {
            try SoftInjectionMethod(settings: fewShots).prepare(three, cache: nil)
        }
        // Keeping the best step needs a valid split; several tasks at once name the one without.
        #expect(throws: MethodError.notEnoughItems(method: "site", task: "reverse", split: "valid",
                                                   purpose: "keeping the step of best validation loss", needed: 1, available: 0)) {
            try method.prepareJointly([f.context(), f.context(valid: [])], cache: nil)
        }
    }

    @Test func functionVectorSettingsOutOfRangeThrow() throws {
        let f = try FVTVFixture.load()
        let c = f.model.decoder.configuration
        let l = c.layerCount, h = c.attentionHeads
        func error(_ method: FunctionVectorMethod) -> MethodError? {
            do { _ = try method.prepare(f.context(), cache: nil) } catch let e as MethodError { return e } catch { return nil }
            return nil
        }
        let name = "function-vectors"
        #expect(error(FunctionVectorMethod(shots: 0)) == .invalidSetting(method: name, setting: "shots", value: "0", allowed: "≥ 1"))
        #expect(error(FunctionVectorMethod(cleanPrompts: 0)) == .invalidSetting(method: name, setting: "clean_prompts", value: "0", allowed: "≥ 1"))
        #expect(error(FunctionVectorMethod(corruptedPrompts: 0)) == .invalidSetting(method: name, setting: "corrupted_prompts", value: "0", allowed: "≥ 1"))
        #expect(error(FunctionVectorMethod(topHeads: l * h + 1))
                == .invalidSetting(method: name, setting: "top_heads", value: "\(l * h + 1)", allowed: "1 ... \(l * h)"))
        #expect(error(FunctionVectorMethod(topHeads: 0)) == .invalidSetting(method: name, setting: "top_heads", value: "0", allowed: "1 ... \(l * h)"))
        #expect(error(FunctionVectorMethod(layer: l)) == .invalidSetting(method: name, setting: "layer", value: "\(l)", allowed: "0 ... \(l - 1)"))
        #expect(error(FunctionVectorMethod(layer: -1)) == .invalidSetting(method: name, setting: "layer", value: "-1", allowed: "0 ... \(l - 1)"))
        #expect(error(FunctionVectorMethod(rowsPerCall: 0)) == .invalidSetting(method: name, setting: "rows_per_call", value: "0", allowed: "≥ 1"))
        let outside = FunctionVectorMethod(heads: .fixed([AttentionHead(layer: 1, head: 2), AttentionHead(layer: 3, head: h)]))
        #expect(error(outside) == .invalidSetting(method: "function-vectors-fixed-heads", setting: "heads", value: "1.2,3.\(h)",
                                                  allowed: "1 or more of layer 0...\(l - 1) . head 0...\(h - 1)"))
        #expect(error(FunctionVectorMethod(heads: .fixed([])))?.description.contains("setting heads") == true)
    }

    @Test func taskVectorLTVAndPromptSettingsOutOfRangeThrow() throws {
        let f = try FVTVFixture.load()
        let l = f.model.decoder.configuration.layerCount
        #expect(throws: MethodError.invalidSetting(method: "task-vectors", setting: "layer", value: "\(l)", allowed: "0 ... \(l - 1)")) {
            try TaskVectorMethod(layer: l).prepare(f.context(), cache: nil)
        }
        #expect(throws: MethodError.invalidSetting(method: "task-vectors", setting: "shots", value: "0", allowed: "≥ 1")) {
            try TaskVectorMethod(shots: 0).prepare(f.context(), cache: nil)
        }
        #expect(throws: MethodError.invalidSetting(method: "task-vectors", setting: "prompts", value: "0", allowed: "≥ 1")) {
            try TaskVectorMethod(prompts: 0).prepare(f.context(), cache: nil)
        }
        #expect(throws: MethodError.invalidSetting(method: "task-vectors", setting: "valid_items", value: "0", allowed: "≥ 1")) {
            try TaskVectorMethod(validItems: 0).prepare(f.context(), cache: nil)
        }

        var ltv = LTVSettings.sameBudget
        ltv.learningRate = -1
        #expect(throws: MethodError.invalidSetting(method: "ltv", setting: "learning_rate", value: "-1.0", allowed: "finite and > 0")) {
            try LearnedTaskVectorMethod(ltv).prepare(f.context(), cache: nil)
        }
        ltv = LTVSettings.paper(steps: -5)
        #expect(throws: MethodError.invalidSetting(method: "ltv-paper", setting: "steps", value: "-5", allowed: "≥ 0")) {
            try LearnedTaskVectorMethod(ltv).prepare(f.context(), cache: nil)
        }
        ltv = LTVSettings.sameBudget
        ltv.meanShots = 0
        #expect(throws: MethodError.invalidSetting(method: "ltv", setting: "mean_shots", value: "0", allowed: "≥ 1")) {
            try LearnedTaskVectorMethod(ltv).prepare(f.context(), cache: nil)
        }

        #expect(throws: MethodError.invalidSetting(method: "icl--2", setting: "shots", value: "-2", allowed: "≥ 0")) {
            try PromptOnlyMethod(shots: -2).prepare(f.context(), cache: nil)
        }
        let two = MethodContext(model: f.model, task: f.task, train: Array(f.splits.train.prefix(2)), valid: [], seed: 1)
        #expect(throws: MethodError.notEnoughItems(method: "icl-3", task: "reverse", split: "train", purpose: "3-shot prompts", needed: 3, available: 2)) {
            try PromptOnlyMethod(shots: 3).prepare(two, cache: nil)
        }
        let prepared = try PromptOnlyMethod.zeroShot.prepare(f.context(), cache: nil)
        for (options, setting, value) in [(EvaluationOptions(batchSize: 0), "batch_size", "0"),
                                          (EvaluationOptions(maxNewTokens: 0), "max_new_tokens", "0"),
                                          (EvaluationOptions(maxItems: -1), "max_items", "-1")] {
            #expect(throws: MethodError.invalidSetting(method: "evaluation", setting: setting, value: value, allowed: setting == "max_items" ? "≥ 0" : "≥ 1")) {
                try Evaluator(model: f.model).evaluate(prepared, task: f.task, items: f.splits.test, train: f.splits.train, options: options)
            }
        }
    }

    /// The settings-matching artifact of a method, written by hand.
    static func write(_ tensors: [String: Tensor], facts: [String: String] = [:], method: MethodName, settings: SettingsText,
                      cache: ArtifactCache, f: FVTVFixture) throws -> URL {
        try cache.save(model: f.model.name, method: method, task: f.task.name, settings: settings,
                       artifact: ArtifactCache.Artifact(tensors: tensors, facts: facts))
        return cache.folder(model: f.model.name, method: method, task: f.task.name, settings: settings)
    }

    @Test func truncatedOrGarbledArtifactsThrow() throws {
        let f = try FVTVFixture.load()
        let c = f.model.decoder.configuration
        let cache = try Self.temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache.root) }
        let method = SoftInjectionMethod(settings: smallSITESettings())
        let folder = try Self.write(["task_embedding": Tensor(shape: [c.layerCount, c.attentionWidth]),
                                     "alpha_logits": Tensor(shape: [c.layerCount, c.attentionHeads])],
                                    method: method.name, settings: method.artifactSettings(f.context()), cache: cache, f: f)
        // Well formed: loaded, nothing is computed.
        let loaded = try method.prepare(f.context(), cache: cache)
        #expect(loaded.preparation.fromCache)

        // Truncated tensors: an error naming the file, not a crash and not a silent recompute.
        let tensorsURL = folder.appendingPathComponent("artifact.safetensors")
        let bytes = try Data(contentsOf: tensorsURL)
        try bytes.prefix(bytes.count / 2).write(to: tensorsURL)
        do {
            _ = try method.prepare(f.context(), cache: cache)
            Issue.record("a truncated artifact was accepted")
        } catch let MethodError.corruptArtifact(name, path, reason) {
            #expect(name == "site" && path == tensorsURL.path && !reason.isEmpty)
        }
        try Data().write(to: tensorsURL)
        #expect(throws: MethodError.self) { try method.prepare(f.context(), cache: cache) }
        #expect(FileManager.default.fileExists(atPath: tensorsURL.path))   // left for the user to inspect

        // JSON that is not an object with a settings hash.
        let jsonURL = folder.appendingPathComponent("artifact.json")
        try Data("{\"settings_hash\": ".utf8).write(to: jsonURL)
        #expect(throws: MethodError.corruptArtifact(method: "site", path: jsonURL.path, reason: "not a JSON object with a settings_hash")) {
            try method.prepare(f.context(), cache: cache)
        }
        // Other settings: a stale artifact, prepared again (not an error).
        try Data("{\"settings_hash\": \"0000\"}".utf8).write(to: jsonURL)
        #expect(try cache.load(model: f.model.name, method: method.name, task: f.task.name, settings: method.artifactSettings(f.context())) == nil)
    }

    @Test func artifactsOfAnotherShapeThrow() throws {
        let f = try FVTVFixture.load()
        let c = f.model.decoder.configuration
        let l = c.layerCount, h = c.attentionHeads
        let cache = try Self.temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache.root) }

        // SITE: a 2-layer model's embedding.
        let site = SoftInjectionMethod(settings: smallSITESettings())
        var folder = try Self.write(["task_embedding": Tensor(shape: [2, c.attentionWidth]), "alpha_logits": Tensor(shape: [l, h])],
                                    method: site.name, settings: site.artifactSettings(f.context()), cache: cache, f: f)
        #expect(throws: MethodError.artifactShape(method: "site", path: folder.path, tensor: "task_embedding",
                                                  expected: [l, c.attentionWidth], found: [2, c.attentionWidth])) {
            try site.prepare(f.context(), cache: cache)
        }

        // Function vectors: a missing vector, then a head table with NaN.
        let fv = FunctionVectorMethod(cleanPrompts: 2, shots: 2, corruptedPrompts: 1, topHeads: 2)
        let good: [String: Tensor] = [
            FunctionVectorTensor.meanHeadOutputs: Tensor(shape: [l, c.attentionWidth]),
            FunctionVectorTensor.causalIndirectEffects: Tensor(shape: [l, h]),
            FunctionVectorTensor.heads: Tensor(shape: [1, 2], scalars: [1, 2]),
            FunctionVectorTensor.functionVector: Tensor(shape: [c.hiddenSize]),
        ]
        var missing = good
        missing[FunctionVectorTensor.functionVector] = nil
        folder = try Self.write(missing, method: fv.name, settings: fv.artifactSettings(f.context()), cache: cache, f: f)
        #expect(throws: MethodError.artifactShape(method: fv.name, path: folder.path, tensor: "function_vector",
                                                  expected: [c.hiddenSize], found: nil)) {
            try fv.prepare(f.context(), cache: cache)
        }
        var nanHeads = good
        nanHeads[FunctionVectorTensor.heads] = Tensor(shape: [1, 2], scalars: [.nan, 1])
        _ = try Self.write(nanHeads, method: fv.name, settings: fv.artifactSettings(f.context()), cache: cache, f: f)
        #expect(throws: MethodError.self) { try fv.prepare(f.context(), cache: cache) }
        _ = try Self.write(good, method: fv.name, settings: fv.artifactSettings(f.context()), cache: cache, f: f)
        let restored = try fv.prepareFunctionVector(f.context(), cache: cache)
        #expect(restored.preparation.fromCache && restored.heads == [AttentionHead(layer: 1, head: 2)])

        // LTV: weights of another head count.
        let ltv = LearnedTaskVectorMethod(LTVFixtures.small(steps: 1))
        folder = try Self.write(["weights": Tensor(shape: [l, h + 1]), "projected_head_means": Tensor(shape: [l, h, c.hiddenSize]),
                                 "validation_steps": Tensor(shape: [1]), "validation_losses": Tensor(shape: [1])],
                                facts: ["seed": "7", "best_step": "0", "best_validation_loss": "1"],
                                method: ltv.name, settings: ltv.artifactSettings(f.context()), cache: cache, f: f)
        #expect(throws: MethodError.artifactShape(method: "ltv", path: folder.path, tensor: "weights", expected: [l, h], found: [l, h + 1])) {
            try ltv.prepare(f.context(), cache: cache)
        }

        // Task vectors: a layer fact outside the model.
        let tv = TaskVectorMethod(prompts: 2, shots: 2, validItems: 2)
        folder = try Self.write(["residual_means": Tensor(shape: [l, c.hiddenSize]), "valid_accuracy": Tensor(shape: [l])],
                                facts: ["layer": "\(l)"], method: tv.name, settings: tv.artifactSettings(f.context()), cache: cache, f: f)
        #expect(throws: MethodError.corruptArtifact(method: "task-vectors", path: folder.path, reason: "fact layer is \"\(l)\"")) {
            try tv.prepare(f.context(), cache: cache)
        }
    }
}

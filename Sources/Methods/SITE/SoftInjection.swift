// Shape legend: T tasks trained together, R rows of a batch, L layers, H heads, Dh head dim.
import Foundation
import Models
import Tasks
import Tensors

/// SITE (soft injection of task embeddings): the mean per-head attention output of few-shot
/// prompts, mixed into every head at the last prompt token with learned per-(layer, head)
/// weights α = sigmoid(logit): a ← (1 − α) a + α t.
public struct SoftInjectionMethod: TaskMethod {
    public var options: SoftInjectionSettings

    public init(settings: SoftInjectionSettings = SoftInjectionSettings()) { self.options = settings }

    public var name: String { options.taskAgnostic ? "site-agnostic" : "site" }
    public var settings: [String: String] { options.dictionary }

    public func prepare(_ context: MethodContext, cache: ArtifactCache?) throws -> any PreparedMethod {
        try prepareJointly([context], cache: cache)[0]
    }

    /// Throws `MethodError.invalidSetting` for a setting outside its range.
    public func validate() throws {
        let check = SettingCheck(method: name)
        try check.atLeast("embedding_prompts", options.embeddingPrompts, 1)
        try check.atLeast("embedding_shots", options.embeddingShots, 1)
        try check.atLeast("steps", options.steps, 0)
        try check.positiveFinite("lr", options.learningRate)
        try check.atLeast("prompts_per_step", options.promptsPerStep, 1)
        try check.atLeast("validate_every", options.validateEvery, 1)
        // Keeping the best step needs a validation loss to compare.
        try check.atLeast("validation_items", options.validationItems, options.keepBest && options.steps > 0 ? 1 : 0)
    }

    /// Throws `MethodError.notEnoughItems` when a split of `context` cannot give what training samples.
    func validateSplits(_ context: MethodContext) throws {
        let check = SettingCheck(method: name), task = context.task.name, n = options.embeddingShots
        try check.items(TaskSplit.train.rawValue, of: task, available: context.train.count, needed: options.embeddingPrompts,
                        for: "\(options.embeddingPrompts) embedding prompts of distinct queries")
        try check.items(TaskSplit.train.rawValue, of: task, available: context.train.count, needed: n + 1,
                        for: "\(n)-shot embedding prompts (a query and \(n) other items)")
        if options.keepBest && options.steps > 0 {
            try check.items(TaskSplit.valid.rawValue, of: task, available: context.valid.count, needed: 1,
                            for: "keeping the step of best validation loss")
        }
    }

    /// Prepares several tasks of one model at once: their weights advance together, one row per
    /// task in every step, so 57 optimisations cost about as much as one batched one. Each task's
    /// result equals training it alone (its rows never mix with the others').
    ///
    /// - Throws: `MethodError.invalidSetting` for a setting outside its range,
    ///   `MethodError.notEnoughItems` for a split too small, `MethodError` for a cached artifact
    ///   that is corrupt or of another shape, what the prompts or saving an artifact throw.
    public func prepareJointly(_ contexts: [MethodContext], cache: ArtifactCache?) throws -> [Prepared] {
        guard let first = contexts.first else { return [] }
        try self.validate()
        let model = first.model
        let c = model.decoder.configuration
        let l = c.layerCount, h = c.attentionHeads
        let keyed = contexts.map { (context: $0, settings: artifactSettings($0)) }
        if !options.taskAgnostic, let cache {
            let cached = try keyed.map { try cache.load(model: model.name, method: name, task: $0.context.task.name, settings: $0.settings) }
            if cached.allSatisfy({ $0 != nil }) { return try cached.map { try Prepared(artifact: $0!, configuration: c, method: name) } }
        }
        for context in contexts { try validateSplits(context) }
        let start = Date()
        var tokens = 0

        // Wall seconds of each phase (facts of every artifact; the phases run for all tasks at once).
        var phaseSeconds = ["embedding": 0.0, "prefill": 0.0, "training": 0.0, "validation": 0.0]
        var phaseStart = Date()
        func endPhase(_ phase: String) {
            phaseSeconds[phase, default: 0] += Date().timeIntervalSince(phaseStart)
            phaseStart = Date()
        }

        // Task embeddings: (L, H·Dh) per task.
        var embeddings = [Tensor]()
        for context in contexts {
            let (embedding, used) = try taskEmbedding(context)
            embeddings.append(embedding)
            tokens += used
        }

        // Zero-shot train prompts for the steps, valid prompts for validation, prefilled once.
        var trainRows = [[Int]](), validRows = [[Int]]()
        var textPrompts = [TextPrompt]()
        for context in contexts {
            var generator = Xoshiro256StarStar(seed: SplitMix64.mix([context.seed, SplitMix64.stableHash("site-steps"), SplitMix64.stableHash(context.task.name)]))
            let draws = (0..<(options.steps * options.promptsPerStep)).map { _ in generator.nextIndex(below: context.train.count) }
            let unique = Array(Set(draws)).sorted()
            var rowOf = [Int: Int]()
            for i in unique {
                rowOf[i] = textPrompts.count
                textPrompts.append(try context.sampler.prompt(forItem: i, of: context.train, split: .train, shots: 0, seed: context.seed))
            }
            trainRows.append(draws.map { rowOf[$0]! })
            let valid = Array(context.valid.prefix(options.validationItems))
            var rows = [Int]()
            for i in valid.indices {
                rows.append(textPrompts.count)
                textPrompts.append(try context.sampler.prompt(forItem: i, of: valid, split: .valid, shots: 0, seed: context.seed))
            }
            validRows.append(rows)
        }
        endPhase("embedding")
        let prompts = try LastTokenPrompts(model: model, textPrompts: textPrompts)
        tokens += prompts.prefilledTokens
        endPhase("prefill")

        // One logit row per (task, layer), or per layer when the weights are shared.
        let groups = options.taskAgnostic ? 1 : contexts.count
        var logits = [Tensor(shape: [groups * l, h])]
        var best = (0..<contexts.count).map { _ in (loss: Double.infinity, step: 0, logits: Tensor(shape: [l, h])) }
        var curves = [[String]](repeating: [], count: contexts.count)
        var adam = Adam(learningRate: options.learningRate)

        func interventions(rows: [Int], tasks: [Int], tape: Tape, logitsVariable: Variable) -> [Intervention] {
            let weights = tape.sigmoid(logitsVariable)
            return (0..<l).map { layer in
                let target = Tensor(shape: [rows.count, c.attentionWidth],
                                    scalars: tasks.flatMap { embeddings[$0].row(layer) })
                let weightRows = tasks.map { (options.taskAgnostic ? 0 : $0) * l + layer }
                return Intervention(.attentionHeads(layer: layer), .mixHeads(target: Variable(constant: target), weights: tape.rows(weights, weightRows)))
            }
        }

        func validate(step: Int) {
            for t in contexts.indices where !validRows[t].isEmpty {
                let tape = Tape()
                let constant = Variable(constant: logits[0])
                let rows = validRows[t]
                let (loss, _) = prompts.loss(rows, tape: tape, interventions: interventions(rows: rows, tasks: Array(repeating: t, count: rows.count), tape: tape, logitsVariable: constant))
                tokens += rows.count
                let value = Double(loss.value.scalars[0])
                curves[t].append("\(step):\(String(format: "%.5f", value))")
                if value < best[t].loss || !options.keepBest {
                    let group = options.taskAgnostic ? 0 : t
                    best[t] = (value, step, Tensor(shape: [l, h], scalars: Array(logits[0].scalars[(group * l * h)..<((group + 1) * l * h)])))
                }
            }
        }

        for step in 0..<options.steps {
            let tape = Tape()
            let parameter = tape.parameter(logits[0])
            var rows = [Int](), tasks = [Int]()
            for t in contexts.indices {
                for k in 0..<options.promptsPerStep {
                    rows.append(trainRows[t][step * options.promptsPerStep + k])
                    tasks.append(t)
                }
            }
            // The sum over tasks of each task's mean loss: every task's logits get its own gradient.
            let (loss, _) = prompts.loss(rows, tape: tape, interventions: interventions(rows: rows, tasks: tasks, tape: tape, logitsVariable: parameter))
            let total = tape.scale(loss, by: Float(rows.count) / Float(options.promptsPerStep))
            adam.update(&logits, gradients: [tape.gradients(of: total)[parameter]])
            tokens += rows.count
            endPhase("training")
            if (step + 1) % options.validateEvery == 0 || step + 1 == options.steps {
                validate(step: step + 1)
                endPhase("validation")
            }
        }
        let seconds = Date().timeIntervalSince(start)

        var results = [Prepared]()
        for (t, context) in contexts.enumerated() {
            let chosen = best[t].loss.isFinite ? best[t].logits
                : Tensor(shape: [l, h], scalars: Array(logits[0].scalars[((options.taskAgnostic ? 0 : t) * l * h)..<(((options.taskAgnostic ? 0 : t) + 1) * l * h)]))
            let cost = PreparationCost(seconds: seconds / Double(contexts.count), tokensProcessed: tokens / contexts.count)
            let artifact = ArtifactCache.Artifact(
                tensors: ["task_embedding": embeddings[t], "alpha_logits": chosen],
                facts: ["best_step": "\(best[t].step)", "best_validation_loss": "\(best[t].loss)",
                        "validation_curve": curves[t].joined(separator: " "), "kept": options.keepBest ? "best" : "last",
                        "tasks_trained_together": "\(contexts.count)",
                        "phase_seconds_all_tasks": phaseSeconds.keys.sorted().map { "\($0):\(String(format: "%.1f", phaseSeconds[$0]!))" }.joined(separator: " "),
                        "preparation_seconds": "\(cost.seconds)", "tokens_processed": "\(cost.tokensProcessed)"])
            if let cache {
                try cache.save(model: model.name, method: name, task: context.task.name, settings: keyed[t].settings, artifact: artifact)
            }
            results.append(Prepared(embedding: embeddings[t], alphaLogits: chosen, facts: artifact.facts, preparation: cost))
        }
        return results
    }

    /// Settings that name a task's artifact: the method's, the seed and the model.
    func artifactSettings(_ context: MethodContext) -> [String: String] {
        var s = settings
        s["seed"] = "\(context.seed)"
        s["model"] = context.model.name
        return s
    }

    /// Mean head outputs at the last token of M prompts of N shots (queries drawn from train).
    func taskEmbedding(_ context: MethodContext) throws -> (Tensor, Int) {
        let model = context.model, c = model.decoder.configuration
        var generator = Xoshiro256StarStar(seed: SplitMix64.mix([context.seed, SplitMix64.stableHash("site-embedding"), SplitMix64.stableHash(context.task.name)]))
        // `validateSplits` guarantees train holds M queries and N + 1 items.
        let count = options.embeddingPrompts
        let queries = generator.sampleWithoutReplacement(count, from: context.train.count)
        let shots = options.embeddingShots
        let prompts = try queries.map {
            model.encode(try context.sampler.prompt(forItem: $0, of: context.train, split: .train, shots: shots, seed: context.seed).text)
        }
        let sites = (0..<c.layerCount).map { InterventionSite.attentionHeads(layer: $0) }
        let (means, tokens) = LastTokenMeans.compute(model: model, prompts: prompts, sites: sites)
        return (Tensor(shape: [c.layerCount, c.attentionWidth], scalars: sites.flatMap { means[$0]!.scalars }), tokens)
    }

    /// A task embedding with its mixing logits.
    public struct Prepared: PreparedMethod {
        /// (L, H·Dh).
        public let embedding: Tensor
        /// (L, H); α = sigmoid(logits).
        public let alphaLogits: Tensor
        public let facts: [String: String]
        public let preparation: PreparationCost
        public var shots: Int { 0 }

        init(embedding: Tensor, alphaLogits: Tensor, facts: [String: String], preparation: PreparationCost) {
            self.embedding = embedding
            self.alphaLogits = alphaLogits
            self.facts = facts
            self.preparation = preparation
        }

        /// A stored artifact, for a model of configuration `c`.
        /// - Throws: `MethodError.artifactShape` when a tensor is missing or does not fit the model.
        init(artifact: ArtifactCache.Artifact, configuration c: DecoderConfiguration, method: String) throws {
            self.init(embedding: try artifact.tensor("task_embedding", shape: [c.layerCount, c.attentionWidth], method: method),
                      alphaLogits: try artifact.tensor("alpha_logits", shape: [c.layerCount, c.attentionHeads], method: method),
                      facts: artifact.facts, preparation: PreparationCost(fromCache: true))
        }

        public func interventions(batchSize: Int) -> [Intervention] {
            let l = alphaLogits.shape[0], h = alphaLogits.shape[1]
            let alphas = alphaLogits.map(sigmoidScalar)
            return (0..<l).map { layer in
                let target = Tensor(shape: [batchSize, embedding.shape[1]], scalars: Array((0..<batchSize).map { _ in embedding.row(layer) }.joined()))
                let weights = Tensor(shape: [batchSize, h], scalars: Array((0..<batchSize).map { _ in alphas.row(layer) }.joined()))
                return Intervention(.attentionHeads(layer: layer), .mixHeads(target: Variable(constant: target), weights: Variable(constant: weights)))
            }
        }
    }
}

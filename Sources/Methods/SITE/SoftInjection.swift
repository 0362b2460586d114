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

    public var name: MethodName { options.taskAgnostic ? .siteAgnostic : .site }

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
        let model = first.model, backend = first.backend
        let shape = backend.shape
        let l = shape.layers, h = shape.attentionHeads
        let keyed = contexts.map { (context: $0, settings: artifactSettings($0)) }
        if !options.taskAgnostic, let cache {
            let cached = try keyed.map { try cache.load(model: model.name, method: name, task: $0.context.task.name, settings: $0.settings) }
            if cached.allSatisfy({ $0 != nil }) { return try cached.map { try Prepared(artifact: $0!, shape: shape, method: name) } }
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
        let prompts = try backend.lastTokenBatch(
            textPrompts.map { model.encode($0.text) }, targets: try textPrompts.map { try $0.targetToken(tokenize: model.encode) })
        tokens += prompts.prefilledTokens
        endPhase("prefill")

        // One block of logit rows (L, H) per task, or one shared block when the weights are shared.
        let groups = options.taskAgnostic ? 1 : contexts.count
        let taskRows = contexts.indices.map { t in
            let group = options.taskAgnostic ? 0 : t
            return (group * l)..<((group + 1) * l)
        }
        let k = options.promptsPerStep

        /// The plan for batch rows of tasks `tasks`, α = sigmoid of `logits` (groups·L, H).
        func plan(tasks: [Int], logits: Tensor, trained: Bool) -> InterventionPlan {
            SoftInjectionInterventions.plan(
                embeddings: embeddings, logits: logits,
                rows: tasks.map { .init(embedding: $0, weights: options.taskAgnostic ? 0 : $0) }, trained: trained)
        }

        let run = try KeepBestTraining.train(
            initial: Tensor(shape: [groups * l, h]), taskRows: taskRows, learningRate: options.learningRate,
            schedule: KeepBestTraining.Schedule(steps: options.steps, validateEvery: options.validateEvery),
            gradient: { step, logits in
                var rows = [Int](), tasks = [Int]()
                for t in contexts.indices {
                    for j in 0..<k {
                        rows.append(trainRows[t][(step - 1) * k + j])
                        tasks.append(t)
                    }
                }
                // The sum over tasks of each task's mean loss: every task's logits get its own gradient.
                let result = try prompts.loss(
                    rows, plan: plan(tasks: tasks, logits: logits, trained: true),
                    reduction: LossReduction(.mean, scale: Float(rows.count) / Float(k)), gradients: true)
                tokens += rows.count
                guard let gradient = result.gradients["alpha_logits"] else {
                    preconditionFailure("SITE: the backend returned no gradient of the α logits")
                }
                return gradient
            },
            validate: { _, logits in
                endPhase("training")
                defer { endPhase("validation") }
                return try contexts.indices.map { t -> Float? in
                    let rows = validRows[t]
                    guard !rows.isEmpty else { return nil }
                    let result = try prompts.loss(
                        rows, plan: plan(tasks: Array(repeating: t, count: rows.count), logits: logits, trained: false),
                        reduction: .mean, gradients: false)
                    tokens += rows.count
                    return result.loss
                }
            })
        endPhase("training")
        let seconds = Date().timeIntervalSince(start)

        var results = [Prepared]()
        for (t, context) in contexts.enumerated() {
            let trained = run.tasks[t]
            // Without keep-best, the last step's logits, with the last validation's step and loss.
            let (chosen, keptStep, keptLoss) = options.keepBest
                ? (trained.best, trained.bestStep, trained.bestLoss)
                : (trained.final, trained.validationSteps.last ?? options.steps, trained.validationLosses.last ?? .nan)
            let curve = zip(trained.validationSteps, trained.validationLosses).map { "\($0):\(String(format: "%.5f", Double($1)))" }
            let cost = PreparationCost(seconds: seconds / Double(contexts.count), tokensProcessed: tokens / contexts.count)
            let artifact = ArtifactCache.Artifact(
                tensors: ["task_embedding": embeddings[t], "alpha_logits": chosen],
                facts: ["best_step": "\(keptStep)", "best_validation_loss": "\(Double(keptLoss))",
                        "validation_curve": curve.joined(separator: " "), "kept": options.keepBest ? "best" : "last",
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

    /// Mean head outputs at the last token of M prompts of N shots (queries drawn from train).
    func taskEmbedding(_ context: MethodContext) throws -> (Tensor, Int) {
        let model = context.model, shape = context.backend.shape
        var generator = Xoshiro256StarStar(seed: SplitMix64.mix([context.seed, SplitMix64.stableHash("site-embedding"), SplitMix64.stableHash(context.task.name)]))
        // `validateSplits` guarantees train holds M queries and N + 1 items.
        let count = options.embeddingPrompts
        let queries = generator.sampleWithoutReplacement(count, from: context.train.count)
        let shots = options.embeddingShots
        let prompts = try queries.map {
            model.encode(try context.sampler.prompt(forItem: $0, of: context.train, split: .train, shots: shots, seed: context.seed).text)
        }
        let sites = (0..<shape.layers).map { InterventionSite.attentionHeads(layer: $0) }
        let (means, tokens) = try LastTokenMeans.compute(backend: context.backend, prompts: prompts, sites: sites)
        return (Tensor(shape: [shape.layers, shape.attentionWidth], scalars: sites.flatMap { means[$0]!.scalars }), tokens)
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

        /// A stored artifact, for a model of sizes `shape`.
        /// - Throws: `MethodError.artifactShape` when a tensor is missing or does not fit the model.
        init(artifact: ArtifactCache.Artifact, shape: BackendModelShape, method: MethodName) throws {
            self.init(embedding: try artifact.tensor("task_embedding", shape: [shape.layers, shape.attentionWidth], method: method),
                      alphaLogits: try artifact.tensor("alpha_logits", shape: [shape.layers, shape.attentionHeads], method: method),
                      facts: artifact.facts, preparation: PreparationCost(fromCache: true))
        }

        public func interventions(batchSize: Int) -> [Intervention] {
            SoftInjectionInterventions.make(embedding: embedding, alphas: alphaLogits.map(sigmoidScalar), batchSize: batchSize)
        }
    }
}

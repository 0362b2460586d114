// Shape legend: P prompts, D model dim, H heads, Dh head dim, L layers, V vocab.
import Models
import Tasks
import Tensors

/// Prompts prefilled up to, and excluding, their last token — once, without a tape — so that
/// the last token can be run again and again with interventions (forward, and backward when
/// optimising) at the cost of one token per prompt.
public final class LastTokenPrompts {
    public let model: LanguageModel
    /// Every prompt's cache holds all of its tokens but the last.
    let caches: [KVCache]
    /// The last token of each prompt.
    public let lastTokens: [Int]
    /// The target token of each prompt (for losses), when targets were given.
    public let targets: [Int]
    /// Prompt tokens prefilled.
    public let prefilledTokens: Int

    /// - Parameters:
    ///   - prompts: token ids, each at least one token long.
    ///   - targets: the first target token of each prompt (or empty).
    public init(model: LanguageModel, prompts: [[Int]], targets: [Int] = [], batchSize: Int = 32) {
        precondition(prompts.allSatisfy { !$0.isEmpty }, "LastTokenPrompts: an empty prompt")
        precondition(targets.isEmpty || targets.count == prompts.count, "LastTokenPrompts: \(targets.count) targets for \(prompts.count) prompts")
        self.model = model
        let (caches, prefilled) = model.decoder.prefillPrefixes(prompts, batchSize: batchSize)
        self.caches = caches
        lastTokens = prompts.map { $0[$0.count - 1] }
        self.targets = targets
        prefilledTokens = prefilled
    }

    /// Text prompts of a model: tokenised with its BOS rule, targets by DESIGN.md's rule.
    public convenience init(model: LanguageModel, textPrompts: [TextPrompt], batchSize: Int = 32) throws {
        self.init(model: model, prompts: textPrompts.map { model.encode($0.text) },
                  targets: try textPrompts.map { try $0.targetToken(tokenize: model.encode) }, batchSize: batchSize)
    }

    public var count: Int { lastTokens.count }

    /// Runs the last token of the prompts `indices` (a prompt may appear more than once) with
    /// `interventions` (values with one row per index, in order), then restores the caches.
    /// - Returns: the forward output; logits (R, V) on `tape`.
    public func run(_ indices: [Int], tape: Tape = Tape(), interventions: [Intervention] = [], logits: Decoder.LogitRows = .last) -> Decoder.Output {
        // A prompt used twice in one call needs its own cache for each use.
        var seen = Set<Int>()
        let caches = indices.map { i -> KVCache in seen.insert(i).inserted ? self.caches[i] : self.caches[i].copy() }
        let lengths = caches.map(\.count)
        let output = model.decoder.forward(indices.map { [lastTokens[$0]] }, caches: caches, tape: tape,
                                           interventions: interventions, logits: logits)
        for (cache, length) in zip(caches, lengths) { cache.truncate(to: length) }
        return output
    }

    /// Mean cross-entropy of the targets of `indices` as a scalar on `tape`, and the logits.
    public func loss(_ indices: [Int], tape: Tape, interventions: [Intervention]) -> (loss: Variable, logits: Tensor) {
        let output = run(indices, tape: tape, interventions: interventions)
        let losses = tape.crossEntropy(logits: output.logits!, targets: indices.map { targets[$0] })
        return (tape.mean(losses), output.logits!.value)
    }
}

/// Means over prompts of activations at their last token.
public enum LastTokenMeans {
    /// Runs `prompts` whole (batched) and averages what `sites` hold at each prompt's last token.
    /// - Returns: per site, the mean (1, width of the site), and the tokens processed.
    public static func compute(
        model: LanguageModel, prompts: [[Int]], sites: [InterventionSite], batchSize: Int = 16
    ) -> (means: [InterventionSite: Tensor], tokens: Int) {
        do {
            return try compute(backend: NativeBackend(model: model), prompts: prompts, sites: sites, batchSize: batchSize)
        } catch {
            // Capture-only plans name no tensors, so the native engine cannot reject them.
            preconditionFailure("LastTokenMeans: \(error)")
        }
    }

    /// The same on any backend.
    /// - Throws: what the backend throws.
    public static func compute(
        backend: any ModelBackend, prompts: [[Int]], sites: [InterventionSite], batchSize: Int = 16
    ) throws -> (means: [InterventionSite: Tensor], tokens: Int) {
        var sums = [InterventionSite: [Double]]()
        var tokens = 0
        var start = 0
        while start < prompts.count {
            let batch = Array(prompts[start..<min(prompts.count, start + batchSize)])
            let output = try backend.forward(batch, plan: .capturing(sites), logits: .none)
            tokens += batch.reduce(0) { $0 + $1.count }
            for site in sites {
                let captured = output.captures[site]!
                let width = captured.count / batch.count
                var sum = sums[site] ?? [Double](repeating: 0, count: width)
                for (i, x) in captured.scalars.enumerated() { sum[i % width] += Double(x) }
                sums[site] = sum
            }
            start += batch.count
        }
        let means = sums.mapValues { sum in
            Tensor(shape: [1, sum.count], scalars: sum.map { Float($0 / Double(max(1, prompts.count))) })
        }
        return (means, tokens)
    }
}

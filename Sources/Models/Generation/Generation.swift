// Greedy generation of many prompts at once, each sequence stopping on its own.
import Tensors

/// How far and until what to generate.
public struct GenerationOptions: Sendable {
    /// At most this many new tokens per sequence.
    public var maxNewTokens: Int
    /// Masks the end-of-sequence token at the first step, so every answer has a token (SITE's rule).
    public var suppressEndOfSequenceAtFirstStep: Bool
    /// A sequence stops once its decoded continuation contains one of these (kept in the text).
    public var stopStrings: [String]
    /// A sequence stops once this returns true for its decoded continuation; for scoring rules
    /// whose result cannot change any more.
    public var stopWhen: (@Sendable (String) -> Bool)?
    /// Sequences run together in one batch; more prompts are processed batch after batch.
    public var batchSize: Int

    public init(
        maxNewTokens: Int = 20, suppressEndOfSequenceAtFirstStep: Bool = true, stopStrings: [String] = [],
        stopWhen: (@Sendable (String) -> Bool)? = nil, batchSize: Int = 32
    ) {
        self.maxNewTokens = maxNewTokens
        self.suppressEndOfSequenceAtFirstStep = suppressEndOfSequenceAtFirstStep
        self.stopStrings = stopStrings
        self.stopWhen = stopWhen
        self.batchSize = max(1, batchSize)
    }
}

/// One sequence's continuation.
public struct Generated: Sendable, Equatable {
    /// New tokens, without the end-of-sequence token.
    public var tokens: [Int]
    /// The new tokens decoded without special tokens.
    public var text: String
    /// Why generation ended.
    public var stop: StopReason

    public enum StopReason: String, Sendable { case endOfSequence, maxTokens, stopString, stopRule }
}

extension LanguageModel {
    /// Greedy continuations of `prompts` (token ids, BOS included where the model uses one).
    ///
    /// - Parameter interventions: for the prompts in a range (one batch), the interventions of
    ///   their forward pass, applied there only (`.last` is each prompt's last token); values have
    ///   one row per prompt of the batch, in prompt order.
    public func generate(
        _ prompts: [[Int]], options: GenerationOptions = GenerationOptions(),
        interventions: (Range<Int>) -> [Intervention] = { _ in [] }
    ) -> [Generated] {
        var results = [Generated]()
        results.reserveCapacity(prompts.count)
        var start = 0
        while start < prompts.count {
            let range = start..<min(prompts.count, start + options.batchSize)
            results.append(contentsOf: generateBatch(Array(prompts[range]), options: options, interventions: interventions(range)))
            start = range.upperBound
        }
        return results
    }

    func generateBatch(_ prompts: [[Int]], options: GenerationOptions, interventions: [Intervention]) -> [Generated] {
        let v = decoder.configuration.vocabularySize
        let caches = prompts.map { _ in decoder.makeCache() }
        var outputs = prompts.map { _ in Generated(tokens: [], text: "", stop: .maxTokens) }
        var active = Array(prompts.indices)
        guard options.maxNewTokens > 0 else { return outputs }
        var logits = decoder.forward(prompts, caches: caches, interventions: interventions).logits!.value
        let eos = tokenizer.eosTokenId
        for step in 0..<options.maxNewTokens {
            var stillActive = [Int]()
            for (row, b) in active.enumerated() {
                let token = logits.scalars.withUnsafeBufferPointer { p -> Int in
                    argmax(p, offset: row * v, count: v, excluding: step == 0 && options.suppressEndOfSequenceAtFirstStep ? eos : nil)
                }
                if token == eos {
                    outputs[b].stop = .endOfSequence
                    continue
                }
                outputs[b].tokens.append(token)
                outputs[b].text = tokenizer.decode(outputs[b].tokens, skipSpecialTokens: true)
                if options.stopStrings.contains(where: { outputs[b].text.contains($0) }) {
                    outputs[b].stop = .stopString
                } else if let rule = options.stopWhen, rule(outputs[b].text) {
                    outputs[b].stop = .stopRule
                } else if step + 1 < options.maxNewTokens {
                    stillActive.append(b)
                }
            }
            active = stillActive
            if active.isEmpty { break }
            logits = decoder.forward(active.map { [outputs[$0].tokens.last!] }, caches: active.map { caches[$0] }).logits!.value
        }
        return outputs
    }
}

/// Index of the largest of `count` values from `offset`, skipping `excluding`; ties go to the lower index.
@inline(__always)
func argmax(_ p: UnsafeBufferPointer<Float>, offset: Int, count: Int, excluding: Int?) -> Int {
    var best = -1
    var bestValue = -Float.infinity
    for j in 0..<count where j != excluding {
        let x = p[offset + j]
        if best < 0 || x > bestValue {
            best = j
            bestValue = x
        }
    }
    return best
}

extension Decoder {
    /// One cache per prompt holding its tokens but the last (empty for a one-token prompt), run
    /// `batchSize` prompts at a time without interventions: the shared start of every path that
    /// then runs the last token with interventions (generation, the last-token batches).
    /// - Returns: the caches, in prompt order, and the tokens prefilled.
    /// - Precondition: no prompt is empty.
    public func prefillPrefixes(_ prompts: [[Int]], batchSize: Int) -> (caches: [KVCache], tokens: Int) {
        precondition(prompts.allSatisfy { !$0.isEmpty }, "prefillPrefixes: an empty prompt")
        let caches = prompts.map { _ in makeCache() }
        var tokens = 0
        var start = 0
        while start < prompts.count {
            let range = start..<min(prompts.count, start + max(1, batchSize))
            let withPrefix = range.filter { prompts[$0].count > 1 }
            if !withPrefix.isEmpty {
                _ = forward(withPrefix.map { Array(prompts[$0].dropLast()) }, caches: withPrefix.map { caches[$0] }, logits: .none)
                tokens += withPrefix.reduce(0) { $0 + prompts[$1].count - 1 }
            }
            start = range.upperBound
        }
        return (caches, tokens)
    }
}

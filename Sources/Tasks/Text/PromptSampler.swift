/// Builds k-shot prompts with demonstrations sampled from the train split, reproducibly.
///
/// Each query draws its own demonstrations from a generator seeded by
/// (seed, task name, split, query index), so a prompt does not depend on which other prompts
/// were built or in what order, and the same (task, split, seed, shots) gives the same prompts
/// on every run and machine. Demonstrations are drawn without replacement; when the queries
/// come from the train split too, the query's own item is never one of its demonstrations.
/// The demonstrations of k shots are the first k of those of any larger shot count.
public struct PromptSampler: Sendable {
    public let task: TextTask
    /// The pool demonstrations come from (the task's train split).
    public let train: [TaskItem]

    public init(task: TextTask, train: [TaskItem]) {
        self.task = task
        self.train = train
    }

    /// The prompt for item `index` of `items` (the items of `split`).
    /// - Parameters:
    ///   - shuffledLabels: permute the demonstrations' outputs among themselves (the corrupted
    ///     prompts of function vectors and LTV). The demonstrations drawn are the same as
    ///     without shuffling; the permutation comes after them in the query's stream. The
    ///     digits rule still applies (the SITE reference's shuffled path spaces every output;
    ///     here one template serves both, so the token after "A:" is always the answer's).
    /// - Throws: `TaskError.itemOutOfRange`, `.notEnoughItems` when `shots` exceeds the pool.
    /// - Precondition: `shots >= 0`.
    public func prompt(
        forItem index: Int, of items: [TaskItem], split: TaskSplit, shots: Int, seed: UInt64,
        shuffledLabels: Bool = false
    ) throws -> TextPrompt {
        precondition(shots >= 0, "shots must be non-negative, got \(shots)")
        let query = try item(index, of: items, split: split)
        let excluded = split == .train ? index : nil
        let available = train.count - (excluded == nil ? 0 : 1)
        guard shots <= available else {
            throw TaskError.notEnoughItems(
                task: task.name, split: TaskSplit.train.rawValue, requested: shots, available: available)
        }
        var generator = Xoshiro256StarStar(seed: SplitMix64.mix([
            seed, SplitMix64.stableHash(task.name), SplitMix64.stableHash(split.rawValue), UInt64(index),
        ]))
        let chosen = generator.sampleWithoutReplacement(shots, from: train.count, excluding: excluded)
        var demonstrations = chosen.map { train[$0] }
        if shuffledLabels {
            let order = generator.sampleWithoutReplacement(shots, from: shots)
            let outputs = demonstrations.map(\.output)
            for (position, source) in order.enumerated() { demonstrations[position].output = outputs[source] }
        }
        return assemble(query: query, index: index, demonstrations: demonstrations, demonstrationIndices: chosen)
    }

    /// Prompts for every item of `items` (the items of `split`), in item order.
    public func prompts(
        for items: [TaskItem], split: TaskSplit, shots: Int, seed: UInt64, shuffledLabels: Bool = false
    ) throws -> [TextPrompt] {
        try items.indices.map {
            try prompt(forItem: $0, of: items, split: split, shots: shots, seed: seed, shuffledLabels: shuffledLabels)
        }
    }

    /// The prompt from explicit demonstration indices into the train split (as `bench prompt
    /// --demos` and the reference fixtures give them).
    /// - Throws: `TaskError.itemOutOfRange` for a bad query or demonstration index.
    public func prompt(
        forItem index: Int, of items: [TaskItem], split: TaskSplit, demonstrationIndices: [Int]
    ) throws -> TextPrompt {
        let query = try item(index, of: items, split: split)
        let demonstrations = try demonstrationIndices.map { try item($0, of: train, split: .train) }
        return assemble(
            query: query, index: index, demonstrations: demonstrations, demonstrationIndices: demonstrationIndices)
    }

    private func item(_ index: Int, of items: [TaskItem], split: TaskSplit) throws -> TaskItem {
        guard items.indices.contains(index) else {
            throw TaskError.itemOutOfRange(task: task.name, split: split.rawValue, index: index, count: items.count)
        }
        return items[index]
    }

    private func assemble(
        query: TaskItem, index: Int, demonstrations: [TaskItem], demonstrationIndices: [Int]
    ) -> TextPrompt {
        var prompt = TextPrompt(format: task.promptFormat, demonstrations: demonstrations, query: query)
        prompt.queryIndex = index
        prompt.demonstrationIndices = demonstrationIndices
        return prompt
    }
}

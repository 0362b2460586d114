import Tasks

/// A finished part of a test pass: the outcomes of some of its items, in test order, and what
/// running them cost.
public struct EvaluationPart: Sendable, Equatable {
    public var outcomes: [ItemOutcome]
    /// Wall time of the part (its share, when several methods ran it together).
    public var seconds: Double
    /// CPU seconds of the process while it ran (its share, likewise); nil when a journal of an
    /// earlier version recorded the part without them.
    public var cpuSeconds: Double?
    /// Prompt tokens the part ran (its share, likewise).
    public var promptTokens: Int
    /// Items of the whole pass the part belongs to, so that a journal says how far its pass has
    /// come (`bench status`); nil where not recorded.
    public var passItems: Int?

    public init(outcomes: [ItemOutcome], seconds: Double, cpuSeconds: Double?, promptTokens: Int, passItems: Int? = nil) {
        self.outcomes = outcomes
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
        self.promptTokens = promptTokens
        self.passItems = passItems
    }

    /// The test items the part answered.
    public var indices: [Int] { outcomes.map(\.index) }
}

/// Keeps the finished parts of one cell's test pass as they end, so that a pass cut short (a
/// killed process, a machine that goes away) resumes after its last finished part instead of at
/// the first item. `Evaluator` runs the items in parts of whole batches (`Evaluator.parts`), so a
/// resumed pass runs the same batches, and the same numbers, as an uncut one.
public protocol EvaluationJournal {
    /// Where the parts are kept, named in errors.
    var location: String { get }
    /// The parts recorded so far, in the order they were recorded.
    func recordedParts() throws -> [EvaluationPart]
    /// Keeps `part` before returning.
    func record(_ part: EvaluationPart) throws
}

/// A journal whose parts do not fit the pass they would resume.
public struct EvaluationJournalError: Error, CustomStringConvertible, Equatable {
    public var location: String
    public var item: Int
    public var recordedTarget: String
    public var expectedTarget: String

    public var description: String {
        "\(location): item \(item) was recorded with the target \"\(recordedTarget)\", but the test item now has "
            + "\"\(expectedTarget)\" (the task file changed since?); delete the file to run the cell afresh"
    }
}

extension Evaluator {
    /// The parts `indices` go in: consecutive whole batches of `batchSize`, a part closing before
    /// the batch that would take it past `budget` prompt tokens (`EvaluationOptions.journalPartTokens`).
    /// - Parameter tokens: each prompt's token count, by position in the prompts.
    public static func parts(_ indices: [Int], tokens: [Int], batchSize: Int, budget: Int) -> [[Int]] {
        var parts = [[Int]](), current = [Int](), currentTokens = 0
        for start in stride(from: 0, to: indices.count, by: batchSize) {
            let batch = Array(indices[start..<min(indices.count, start + batchSize)])
            let batchTokens = batch.reduce(0) { $0 + tokens[$1] }
            if !current.isEmpty && currentTokens + batchTokens > budget {
                parts.append(current)
                (current, currentTokens) = ([], 0)
            }
            current += batch
            currentTokens += batchTokens
        }
        if !current.isEmpty { parts.append(current) }
        return parts
    }

    /// Runs the items at `indices` (positions in `prompts`, whose token counts are `tokens`) part
    /// by part (`parts`) for `journals.count` methods at once: a part every method's journal
    /// already holds is read back (its targets checked against `prompts`), any other is run by
    /// `run`, which gives one part per method, and recorded where it was missing. Recorded parts
    /// of other boundaries (another batch size or part budget) are left unused.
    /// - Returns: each method's parts, in test order.
    func partedRun(
        indices: [Int], prompts: [TextPrompt], tokens: [Int], options: EvaluationOptions, journals: [(any EvaluationJournal)?],
        run: ([Int]) throws -> [EvaluationPart]
    ) throws -> [[EvaluationPart]] {
        let recorded = try journals.map { journal -> [[Int]: EvaluationPart] in
            guard let journal else { return [:] }
            var byItems = [[Int]: EvaluationPart]()
            for part in try journal.recordedParts() where byItems[part.indices] == nil {
                try Self.checkTargets(part, prompts: prompts, journal: journal)
                byItems[part.indices] = part
            }
            return byItems
        }
        var parts = [[EvaluationPart]](repeating: [], count: journals.count)
        for items in Self.parts(indices, tokens: tokens, batchSize: options.batchSize, budget: options.journalPartTokens) {
            let kept = recorded.map { $0[items] }
            let fresh = (kept.contains { $0 == nil } ? try run(items) : []).map { part in
                var part = part
                part.passItems = indices.count
                return part
            }
            for k in journals.indices {
                if let part = kept[k] {
                    parts[k].append(part)
                } else {
                    try journals[k]?.record(fresh[k])
                    parts[k].append(fresh[k])
                }
            }
        }
        return parts
    }

    private static func checkTargets(_ part: EvaluationPart, prompts: [TextPrompt], journal: any EvaluationJournal) throws {
        for outcome in part.outcomes {
            let expected = prompts.indices.contains(outcome.index) ? prompts[outcome.index].target : "(no such item)"
            if outcome.target != expected {
                throw EvaluationJournalError(location: journal.location, item: outcome.index, recordedTarget: outcome.target, expectedTarget: expected)
            }
        }
    }
}

import Foundation
import Models
import Tasks

/// The ragged prefill workload of `bench perf`: real 10-shot ICL prompts as the sweep builds them
/// (test items, demonstrations sampled from train with seed 0, the SITE format, the model's
/// tokenizer), one item of each task in registry order, then the next item of each, keeping the
/// prompts whose token count lies in `tokenRange`.
struct ICLPerfPrompts {
    var prompts: [[Int]]

    var tokenCount: Int { prompts.reduce(0) { $0 + $1.count } }
    var shortest: Int { prompts.map(\.count).min() ?? 0 }
    var longest: Int { prompts.map(\.count).max() ?? 0 }

    /// - Throws: `TaskError` when a task file is missing or malformed (`bench datasets fetch`
    ///   brings them), or when fewer than `count` prompts fall in `tokenRange`.
    static func build(
        model: LanguageModel, data: DataDirectory, count: Int = 32, shots: Int = 10, tokenRange: ClosedRange<Int> = 100...700
    ) throws -> ICLPerfPrompts {
        let tasks = TaskRegistry.site57.tasks
        var splits = [TaskSplits]()
        for task in tasks { splits.append(try task.loadSplits(from: data)) }
        var prompts = [[Int]]()
        var item = 0
        while prompts.count < count && splits.contains(where: { item < $0.test.count }) {
            for (task, split) in zip(tasks, splits) where item < split.test.count && prompts.count < count {
                let sampler = PromptSampler(task: task, train: split.train)
                guard shots <= split.train.count else { continue }
                let prompt = try sampler.prompt(forItem: item, of: split.test, split: .test, shots: shots, seed: 0)
                let ids = model.encode(prompt.text)
                if tokenRange.contains(ids.count) { prompts.append(ids) }
            }
            item += 1
        }
        guard prompts.count == count else {
            throw PerfWorkloadError.notEnoughPrompts(found: prompts.count, wanted: count, tokenRange: tokenRange)
        }
        return ICLPerfPrompts(prompts: prompts)
    }
}

/// Why `bench perf` could not build a workload.
enum PerfWorkloadError: Error, CustomStringConvertible {
    case notEnoughPrompts(found: Int, wanted: Int, tokenRange: ClosedRange<Int>)

    var description: String {
        switch self {
        case .notEnoughPrompts(let found, let wanted, let range):
            return "only \(found) of the \(wanted) ICL prompts have \(range.lowerBound)–\(range.upperBound) tokens"
        }
    }
}

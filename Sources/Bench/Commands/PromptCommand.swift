import ArgumentParser
import Foundation
import Tasks

/// `bench prompt`: prints one prompt exactly as the methods build it, and its target.
struct PromptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompt",
        abstract: "Print the prompt and target string for one item of a task.",
        discussion: """
            Demonstrations come from the train split: listed explicitly with --demos i,j,... or \
            sampled with --shots K --seed S (the same draw the methods use). Without either the \
            prompt is 0-shot.
            """
    )

    @Option(help: "Task name (either spelling: country_capital or country-capital).")
    var task: String

    @Option(help: "Split of the query item: train, valid or test.")
    var split: String = "test"

    @Option(help: "Index of the query item in its split.")
    var index: Int

    @Option(help: "Comma-separated train indices of the demonstrations, in prompt order.")
    var demos: CommaList?

    @Option(help: "Number of demonstrations to sample from train.")
    var shots: Int?

    @Option(help: "Seed of the demonstration sampler.")
    var seed: UInt64 = 0

    @Flag(help: "Permute the sampled demonstrations' outputs (the corrupted prompts of FV and LTV).")
    var shuffledLabels = false

    @Flag(help: "Print JSON instead of plain text.")
    var json = false

    @OptionGroup var location: DataDirectoryOptions

    // Hook for the lead: a `--model M` option goes here; when given, load M's tokenizer and
    // fill `PromptReport.targetToken` with `prompt.targetToken(tokenize:)` in `run()`.

    func validate() throws {
        if demos != nil && shots != nil { throw ValidationError("give --demos or --shots, not both") }
        if shuffledLabels && shots == nil { throw ValidationError("--shuffled-labels needs --shots") }
        if let shots, shots < 0 { throw ValidationError("--shots must be non-negative, got \(shots)") }
        if index < 0 { throw ValidationError("--index must be non-negative, got \(index)") }
        _ = try parsedDemos()
        _ = try TaskSplit(parsing: split)
    }

    func parsedDemos() throws -> [Int]? {
        guard let demos else { return nil }
        return try demos.items.map { piece in
            guard let value = Int(piece), value >= 0 else {
                throw ValidationError("--demos takes non-negative integers separated by commas, got '\(demos)'")
            }
            return value
        }
    }

    func run() throws {
        let textTask = try TaskRegistry.site57.task(named: task)
        let querySplit = try TaskSplit(parsing: split)
        let directory = location.dataDirectory()
        let splits = try textTask.loadSplits(from: directory)
        let items = splits[querySplit]
        let sampler = PromptSampler(task: textTask, train: splits.train)
        let prompt: TextPrompt
        if let demonstrationIndices = try parsedDemos() {
            prompt = try sampler.prompt(forItem: index, of: items, split: querySplit, demonstrationIndices: demonstrationIndices)
        } else {
            prompt = try sampler.prompt(
                forItem: index, of: items, split: querySplit, shots: shots ?? 0, seed: seed, shuffledLabels: shuffledLabels)
        }
        let report = PromptReport(
            task: textTask.name, split: querySplit.rawValue, index: index, seed: shots == nil ? nil : seed,
            demos: prompt.demonstrationIndices, prompt: prompt.text, target: prompt.target, targetToken: nil)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(prompt.text)
            print("---")
            print("target: \(String(reflecting: prompt.target))")
            print("demos (train indices): \(prompt.demonstrationIndices.map(String.init).joined(separator: ","))")
        }
    }
}

/// What `bench prompt --json` prints.
struct PromptReport: Encodable {
    var task: String
    var split: String
    var index: Int
    /// The sampler's seed, when the demonstrations were sampled.
    var seed: UInt64?
    var demos: [Int]
    var prompt: String
    var target: String
    /// Filled once `--model` exists (see the hook in `PromptCommand`).
    var targetToken: Int?
}

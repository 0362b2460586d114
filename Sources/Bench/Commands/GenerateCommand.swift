import ArgumentParser
import Foundation
import Models

/// `bench generate`: a greedy continuation.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Print the greedy continuation of a prompt.",
        discussion: """
            Generation stops at the end-of-sequence token, after --max-tokens, or once the text \
            contains a --stop string. JSON (--json): {"model": String, "prompt": String, \
            "token_ids": [Int], "generated_ids": [Int], "text": String, "stop": String} where stop is \
            one of endOfSequence, maxTokens, stopString.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var backend: BackendOptions

    @Option(help: "The prompt text.")
    var prompt: String

    @Option(help: "At most this many new tokens.")
    var maxTokens: Int = 32

    @Option(help: "Stop once the continuation contains this string (repeatable).")
    var stop: [String] = []

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        if maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1, got \(maxTokens)") }
        if prompt.isEmpty { throw ValidationError("--prompt must not be empty") }
    }

    func run() throws {
        threads.apply()
        let (lm, runner) = try model.loadOnBackend(backend)
        let ids = lm.encode(prompt)
        let options = GenerationOptions(maxNewTokens: maxTokens, suppressEndOfSequenceAtFirstStep: false, stopStrings: stop)
        let result = try runner.generate([ids], options: options, plan: { _ in InterventionPlan() })[0]
        if json {
            try printJSON([
                "model": lm.name, "prompt": prompt, "token_ids": ids, "generated_ids": result.tokens,
                "text": result.text, "stop": result.stop.rawValue,
            ] as [String: Any])
        } else {
            print(prompt + result.text)
        }
    }
}

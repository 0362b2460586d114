import ArgumentParser
import Foundation
import Models
import Tensors

/// `bench logits`: the next-token distribution after a prompt.
struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Print a prompt's token ids and the top-K next tokens with their logits.",
        discussion: """
            JSON (--json), one object: {"model": String, "prompt": String, "token_ids": [Int], \
            "top": [{"id": Int, "token": String, "logit": Double, "logprob": Double}]} with "top" \
            sorted by logit, highest first.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var backend: BackendOptions

    @Option(help: "The prompt text (the model's BOS token is added where its tokenizer adds one).")
    var prompt: String

    @Option(help: "How many of the most likely next tokens to show.")
    var top: Int = 10

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1, got \(top)") }
        if prompt.isEmpty { throw ValidationError("--prompt must not be empty") }
    }

    func run() throws {
        threads.apply()
        let (lm, runner) = try model.loadOnBackend(backend)
        let ids = lm.encode(prompt)
        guard !ids.isEmpty else { throw ValidationError("the prompt encodes to no tokens") }
        guard let logits = try runner.forward([ids], plan: InterventionPlan(), logits: .last).logits?.scalars else {
            throw BackendError.badValue("logits: the backend returned no logits for the last token")
        }
        var logProbabilities = logits
        logProbabilities.withUnsafeMutableBufferPointer { logSoftmaxInPlace($0) }
        let best = logits.indices.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }.prefix(top)
        if json {
            try printJSON([
                "model": lm.name, "prompt": prompt, "token_ids": ids,
                "top": best.map { ["id": $0, "token": lm.tokenizer.decode([$0], skipSpecialTokens: false),
                                   "logit": Double(logits[$0]), "logprob": Double(logProbabilities[$0])] },
            ] as [String: Any])
            return
        }
        print("model: \(lm.name)")
        print("token ids: \(ids.map(String.init).joined(separator: " "))")
        print("rank  id      logit     logprob  token")
        for (rank, id) in best.enumerated() {
            let token = lm.tokenizer.decode([id], skipSpecialTokens: false).debugDescription
            print(String(format: "%4d  %-6d %8.3f  %9.4f  %@", rank + 1, id, logits[id], logProbabilities[id], token))
        }
    }
}

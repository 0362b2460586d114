import ArgumentParser
import Foundation
import Models

/// `bench tokenize`: token ids of a text.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text, without and with the model's special tokens.",
        discussion: """
            JSON (--json): {"model": String, "text": String, "ids": [Int], "ids_with_special": [Int], \
            "tokens": [String]} where tokens are the vocabulary strings of "ids".
            """)

    @OptionGroup var model: ModelOptions

    @Option(help: "The text to tokenize.")
    var text: String

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let lm = try model.load()
        let plain = lm.tokenizer.encode(text, addSpecialTokens: false)
        let special = lm.tokenizer.encode(text, addSpecialTokens: true)
        let pieces = plain.map { lm.tokenizer.tokenString($0) ?? "" }
        if json {
            try printJSON(["model": lm.name, "text": text, "ids": plain, "ids_with_special": special, "tokens": pieces] as [String: Any])
            return
        }
        print("ids:              \(plain.map(String.init).joined(separator: " "))")
        print("ids with special: \(special.map(String.init).joined(separator: " "))")
        print("tokens:           \(pieces.map(\.debugDescription).joined(separator: " "))")
    }
}

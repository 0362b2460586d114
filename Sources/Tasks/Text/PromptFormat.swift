/// The SITE prompt template (DESIGN.md "Prompt format and scoring", reference preprocess.py):
///
///     demonstration: "Q:" + " " + input + "\n" + "A:" + output' + "\n\n"
///     query:         "Q:" + input' + "\n" + "A:"
///     target:        output'
///
/// where `x'` is `x` with a leading space unless `x` is all digits (the reference leaves the
/// space out so that the token after "A:" is the number, not a bare space). A demonstration's
/// input always gets its space; the query's input follows the digits rule, as the reference
/// applies it to both fields of the query pair (see `reference/prompts.json`, next_item).
public struct PromptFormat: Hashable, Sendable {
    public var inputPrefix = "Q:"
    public var inputSeparator = "\n"
    public var outputPrefix = "A:"
    public var outputSeparator = "\n\n"

    public init() {}

    /// The template of the SITE and Function Vectors references.
    public static let site = PromptFormat()

    /// One demonstration, separator included.
    public func demonstration(_ item: TaskItem) -> String {
        inputPrefix + " " + item.input + inputSeparator + outputPrefix + Self.spaced(item.output.text)
            + outputSeparator
    }

    /// The query block that ends every prompt (the model's next token is the answer).
    public func query(_ input: String) -> String {
        inputPrefix + Self.spaced(input) + inputSeparator + outputPrefix
    }

    /// The target string of a query: the output with the leading space the prompt expects.
    public func target(_ output: TaskOutput) -> String { Self.spaced(output.text) }

    /// A prompt from explicit demonstrations (in order) and a query.
    public func prompt(demonstrations: [TaskItem], query item: TaskItem) -> String {
        var text = ""
        for demonstration in demonstrations { text += self.demonstration(demonstration) }
        return text + query(item.input)
    }

    /// `text` with a leading space unless it is all digits (Python's `str.isdigit`: non-empty,
    /// every scalar a decimal or digit, so "²" counts and "-5", "3.5" and "" do not).
    public static func spaced(_ text: String) -> String {
        isAllDigits(text) ? text : " " + text
    }

    static func isAllDigits(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { scalar in
            let type = scalar.properties.numericType
            return type == .decimal || type == .digit
        }
    }
}

import Testing
@testable import Tasks

@Suite struct TargetTokenTests {
    /// A toy tokenizer: BOS (1), then one token per maximal run of letters, per digit, per space
    /// joined to the following letters (like byte-level BPE's " word" tokens), per other scalar.
    private func toyTokenize(_ text: String) -> [Int] {
        var tokens = [1]
        var current = ""
        func flush() { if !current.isEmpty { tokens.append(Int(SplitMix64.stableHash(current) % 50_000) + 2); current = "" } }
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic, current.isEmpty || current.unicodeScalars.last!.properties.isAlphabetic || current == " " {
                current.unicodeScalars.append(scalar)
            } else if scalar == " " {
                flush(); current = " "
            } else {
                flush(); current = String(scalar); flush()
            }
        }
        flush()
        return tokens
    }

    @Test func firstTokenAfterThePromptTokens() throws {
        let token = try targetToken(prompt: "Q: Portugal\nA:", target: " Lisbon", tokenize: toyTokenize)
        #expect(token == toyTokenize(" Lisbon")[1])
        // A digit target right after "A:" is its own token.
        let digit = try targetToken(prompt: "Q: oven\nA:", target: "4", tokenize: toyTokenize)
        #expect(digit == toyTokenize("4")[1])
        let prompt = TextPrompt(demonstrations: [], query: TaskItem(input: "Portugal", output: .text("Lisbon")))
        #expect(try prompt.targetToken(tokenize: toyTokenize) == token)
    }

    @Test func positionBasedWhenTheBoundaryMerges() throws {
        // The prompt's last token "A" merges with the target "B" into one token "AB": the
        // reference takes whatever token sits at position count(prompt tokens).
        let tokenize: (String) -> [Int] = { text in
            text == "xA" ? [1, 10, 20] : text == "xAB" ? [1, 10, 30, 40] : []
        }
        #expect(try targetToken(prompt: "xA", target: "B", tokenize: tokenize) == 40)
    }

    @Test func emptyTargetThrows() {
        #expect(throws: TaskError.targetAddsNoToken(prompt: "Q: a\nA:", target: "", promptTokens: 7, fullTokens: 7)) {
            try targetToken(prompt: "Q: a\nA:", target: "", tokenize: { Array(repeating: 0, count: $0.count) })
        }
    }

    @Test func tokenizerErrorsPropagate() {
        struct Boom: Error, Equatable {}
        #expect(throws: Boom()) { try targetToken(prompt: "a", target: "b", tokenize: { _ in throw Boom() }) }
    }
}

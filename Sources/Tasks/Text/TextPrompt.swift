/// A prompt ready for a model, with the answer it is scored against and where it came from.
public struct TextPrompt: Hashable, Codable, Sendable {
    /// The whole prompt, ending in "A:" (no BOS: the tokenizer adds it where the model wants one).
    public var text: String
    /// The answer as the model should continue the prompt, leading space kept (" Lisbon", "4").
    public var target: String
    /// The query pair.
    public var query: TaskItem
    /// The demonstrations, in prompt order.
    public var demonstrations: [TaskItem]
    /// Index of the query in its split, when it came from one.
    public var queryIndex: Int?
    /// Indices of the demonstrations in the train split, when they were sampled from it.
    public var demonstrationIndices: [Int]

    public init(
        text: String, target: String, query: TaskItem, demonstrations: [TaskItem],
        queryIndex: Int? = nil, demonstrationIndices: [Int] = []
    ) {
        self.text = text
        self.target = target
        self.query = query
        self.demonstrations = demonstrations
        self.queryIndex = queryIndex
        self.demonstrationIndices = demonstrationIndices
    }

    /// A prompt from explicit demonstrations, as the reference fixtures list them.
    public init(format: PromptFormat = .site, demonstrations: [TaskItem], query: TaskItem) {
        self.init(
            text: format.prompt(demonstrations: demonstrations, query: query),
            target: format.target(query.output), query: query, demonstrations: demonstrations)
    }

    /// The first token of the target in context (see `targetToken(prompt:target:tokenize:)`).
    public func targetToken(tokenize: (String) throws -> [Int]) throws -> Int {
        try Tasks.targetToken(prompt: text, target: target, tokenize: tokenize)
    }
}

/// The token a model must predict after the prompt (DESIGN.md): the first token of
/// `tokenize(prompt + target)` after the first `tokenize(prompt).count` tokens.
///
/// Position-based like the reference (`get_answer_id`): tokenizing the joined string lets the
/// tokenizer merge across the boundary exactly as it will when the model reads the answer.
/// - Parameters:
///   - tokenize: the model's tokenizer with its default special tokens (BOS where it adds one).
/// - Throws: `TaskError.targetAddsNoToken` when the joined string is not longer in tokens;
///   whatever `tokenize` throws.
public func targetToken(prompt: String, target: String, tokenize: (String) throws -> [Int]) throws -> Int {
    let promptTokens = try tokenize(prompt)
    let fullTokens = try tokenize(prompt + target)
    guard fullTokens.count > promptTokens.count else {
        throw TaskError.targetAddsNoToken(
            prompt: prompt, target: target, promptTokens: promptTokens.count, fullTokens: fullTokens.count)
    }
    return fullTokens[promptTokens.count]
}

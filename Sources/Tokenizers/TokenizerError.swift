/// Errors raised while building a tokenizer from a GGUF file or a Hugging Face `tokenizer.json`.
///
/// Every case names the source (a file path, or a caller-supplied label for in-memory metadata)
/// and, where it applies, the key and what was expected versus found.
public enum TokenizerError: Error, Equatable, Sendable {
    /// A required key is absent.
    case missingKey(source: String, key: String)
    /// A key holds a value of another type or shape than expected.
    case invalidValue(source: String, key: String, expected: String, found: String)
    /// `tokenizer.ggml.model` or `model.type` names a model this module does not implement.
    case unsupportedModel(source: String, name: String, supported: [String])
    /// `tokenizer.ggml.pre` or a pre-tokenizer/normalizer of tokenizer.json is not implemented.
    case unsupportedPreTokenizer(source: String, name: String, supported: [String])
    /// A merge rule names a token that is not in the vocabulary (or its result is not one).
    case mergeReferencesUnknownToken(source: String, index: Int, rule: String, token: String)
    /// A special-token id (BOS, EOS, UNK, an added token) is outside the vocabulary.
    case tokenIdOutOfRange(source: String, key: String, id: Int, vocabularySize: Int)
    /// Per-token arrays disagree in length (tokens vs scores vs types).
    case lengthMismatch(source: String, key: String, expected: Int, found: Int)
    /// The vocabulary is empty, has holes in its id range, or repeats an id.
    case invalidVocabulary(source: String, reason: String)
    /// A JSON file could not be read or parsed.
    case malformedJSON(source: String, offset: Int, reason: String)
    /// A file could not be opened.
    case cannotRead(source: String, reason: String)
}

extension TokenizerError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .missingKey(source, key):
            return "\(source): required key '\(key)' is missing"
        case let .invalidValue(source, key, expected, found):
            return "\(source): key '\(key)' should be \(expected), found \(found)"
        case let .unsupportedModel(source, name, supported):
            return "\(source): tokenizer model '\(name)' is not supported (supported: \(supported.joined(separator: ", ")))"
        case let .unsupportedPreTokenizer(source, name, supported):
            return "\(source): pre-tokenizer '\(name)' is not supported (supported: \(supported.joined(separator: ", ")))"
        case let .mergeReferencesUnknownToken(source, index, rule, token):
            return "\(source): merge #\(index) '\(rule)' references '\(token)', which is not in the vocabulary"
        case let .tokenIdOutOfRange(source, key, id, vocabularySize):
            return "\(source): '\(key)' is token id \(id), outside the vocabulary of \(vocabularySize) tokens"
        case let .lengthMismatch(source, key, expected, found):
            return "\(source): '\(key)' has \(found) entries, expected \(expected) (one per token)"
        case let .invalidVocabulary(source, reason):
            return "\(source): invalid vocabulary: \(reason)"
        case let .malformedJSON(source, offset, reason):
            return "\(source): malformed JSON at byte \(offset): \(reason)"
        case let .cannotRead(source, reason):
            return "\(source): cannot read: \(reason)"
        }
    }
}

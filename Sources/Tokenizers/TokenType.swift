/// The role of a vocabulary entry, with GGUF's numbering (`tokenizer.ggml.token_type`).
public enum TokenType: Int32, Sendable, CaseIterable {
    case undefined = 0
    case normal = 1
    case unknown = 2
    /// BOS, EOS, chat markers: matched literally in text, dropped by `decode(skipSpecialTokens:)`.
    case control = 3
    /// Added by the model author (e.g. Gemma's runs of newlines): matched literally, always decoded.
    case userDefined = 4
    case unused = 5
    /// `<0xNN>`: one raw byte, used by SentencePiece byte fallback.
    case byte = 6

    /// Tokens that are cut out of the text before the model's own algorithm runs.
    var isMatchedLiterally: Bool { self == .control || self == .userDefined || self == .unknown }
}

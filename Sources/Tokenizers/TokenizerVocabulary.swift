/// Which algorithm turns a piece of text (between literally matched special tokens) into ids.
public enum TokenizerModel: Sendable, Equatable {
    /// GPT-2 byte-level BPE: the text is split by a pre-tokenizer, each word's bytes become the
    /// printable characters of the GPT-2 byte map, and adjacent pairs merge by rank.
    case byteLevelBPE(PreTokenizer)
    /// BPE over the characters of "▁"-escaped text, merged by rank, with `<0xNN>` byte fallback
    /// for characters outside the vocabulary (Hugging Face Gemma / Mistral `tokenizer.json`).
    case characterBPE
    /// SentencePiece-style BPE as llama.cpp runs it: the adjacent pair whose concatenation is the
    /// highest-scoring vocabulary entry merges first; leftovers fall back to `<0xNN>` tokens.
    case sentencePiece
}

/// When "▁" is put in front of a text piece (SentencePiece `add_dummy_prefix`, Metaspace
/// `prepend_scheme`).
public enum SpacePrefixRule: Sendable, Equatable {
    case never
    /// Only before the piece at the very start of the text.
    case first
    /// Before every piece of text, that is at the start and after every special token.
    case always
}

/// One merge rule of a BPE vocabulary: `left` + `right` become the token spelled by both.
public struct TokenMerge: Sendable, Equatable {
    public var left: String
    public var right: String
    public init(left: String, right: String) {
        self.left = left
        self.right = right
    }
}

/// Everything a `Tokenizer` is built from, independent of the file it was read from.
///
/// Invariant (checked by `Tokenizer.init(vocabulary:)`): `tokenTypes.count == tokens.count`,
/// `scores` is empty or has one entry per token, and every special id is a valid index.
public struct TokenizerVocabulary: Sendable {
    public var model: TokenizerModel
    /// Token texts by id, as stored in the file (byte-level BPE: GPT-2 mapped characters;
    /// SentencePiece: "▁" for spaces).
    public var tokens: [String]
    /// Per-token scores (SentencePiece); empty for BPE.
    public var scores: [Float]
    public var tokenTypes: [TokenType]
    /// In priority order: index 0 merges first.
    public var merges: [TokenMerge]
    public var bosTokenId: Int?
    public var eosTokenId: Int?
    public var unknownTokenId: Int?
    /// Whether `encode(_:addSpecialTokens: true)` puts BOS first.
    public var addsBOS: Bool
    public var spacePrefix: SpacePrefixRule
    /// When a whole pre-tokenized word is a vocabulary entry, emit it without merging (llama3).
    public var ignoresMerges: Bool
    /// `<0xNN>` tokens stand in for bytes outside the vocabulary (character BPE, SentencePiece).
    public var byteFallback: Bool
    /// Canonical composition (NFC) of the text before encoding (Hugging Face `NFC` normalizer).
    public var normalizesToNFC: Bool
    /// Where this vocabulary came from, for error messages.
    public var source: String

    public init(
        model: TokenizerModel, tokens: [String], scores: [Float] = [], tokenTypes: [TokenType],
        merges: [TokenMerge] = [], bosTokenId: Int? = nil, eosTokenId: Int? = nil,
        unknownTokenId: Int? = nil, addsBOS: Bool = false, spacePrefix: SpacePrefixRule = .never,
        ignoresMerges: Bool = false, byteFallback: Bool = false, normalizesToNFC: Bool = false,
        source: String
    ) {
        self.model = model
        self.tokens = tokens
        self.scores = scores
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.unknownTokenId = unknownTokenId
        self.addsBOS = addsBOS
        self.spacePrefix = spacePrefix
        self.ignoresMerges = ignoresMerges
        self.byteFallback = byteFallback
        self.normalizesToNFC = normalizesToNFC
        self.source = source
    }
}

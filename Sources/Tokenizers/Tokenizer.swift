/// Text ↔ token ids for the models of this project: GPT-2 byte-level BPE (SmolLM2, Llama 3,
/// Qwen 2), SentencePiece-style BPE with byte fallback (Gemma 3, Llama 2), built from GGUF
/// metadata (`Tokenizer+GGUF.swift`) or a Hugging Face tokenizer.json (`Tokenizer+HuggingFace.swift`).
///
/// Control, user-defined and unknown tokens written literally in the text ("<|im_start|>",
/// Gemma's "\n\n") are cut out first and become their ids (leftmost, longest match); the text
/// between them goes through the model's algorithm. An immutable value: safe to share.
public struct Tokenizer: Sendable {
    public let vocabulary: TokenizerVocabulary

    /// Per token, the bytes the model's algorithm works on: raw bytes for byte-level BPE (the
    /// GPT-2 map undone), the UTF-8 spelling (with "▁") otherwise.
    let pieces: PieceTable
    /// Per token, the bytes `decode` writes (before any special-token skipping).
    let decodedPieces: PieceTable
    /// Per token, the stored text's UTF-8 (for `id(of:)`).
    let texts: PieceTable
    let merges: MergeTable
    /// byte → the token standing for that single byte (byte-level character or `<0xNN>`), or -1.
    let byteTokens: [Int32]
    let specialTokens: SpecialTokenMatcher

    public var bosTokenId: Int? { vocabulary.bosTokenId }
    public var eosTokenId: Int? { vocabulary.eosTokenId }
    public var addsBOS: Bool { vocabulary.addsBOS }
    public var vocabularySize: Int { vocabulary.tokens.count }

    /// Validates the vocabulary and builds the lookup tables.
    /// - Throws: `TokenizerError` for empty or inconsistent vocabularies, out-of-range special
    ///   ids, merges that name unknown tokens.
    public init(vocabulary: TokenizerVocabulary) throws {
        let source = vocabulary.source
        let count = vocabulary.tokens.count
        guard count > 0 else { throw TokenizerError.invalidVocabulary(source: source, reason: "no tokens") }
        guard vocabulary.tokenTypes.count == count else {
            throw TokenizerError.lengthMismatch(source: source, key: "token types", expected: count, found: vocabulary.tokenTypes.count)
        }
        guard vocabulary.scores.isEmpty || vocabulary.scores.count == count else {
            throw TokenizerError.lengthMismatch(source: source, key: "scores", expected: count, found: vocabulary.scores.count)
        }
        for (key, id) in [("bos", vocabulary.bosTokenId), ("eos", vocabulary.eosTokenId), ("unknown", vocabulary.unknownTokenId)] {
            if let id, !(0..<count).contains(id) {
                throw TokenizerError.tokenIdOutOfRange(source: source, key: key, id: id, vocabularySize: count)
            }
        }
        if vocabulary.addsBOS && vocabulary.bosTokenId == nil {
            throw TokenizerError.missingKey(source: source, key: "BOS token id (the tokenizer adds BOS)")
        }
        self.vocabulary = vocabulary

        let isByteLevel: Bool
        if case .byteLevelBPE = vocabulary.model { isByteLevel = true } else { isByteLevel = false }
        var textBuilder = PieceTable.Builder(capacity: count)
        var algorithmBuilder = PieceTable.Builder(capacity: isByteLevel ? count : 0)
        var outputBuilder = PieceTable.Builder(capacity: count)
        var byteTokens = [Int32](repeating: -1, count: 256)
        for (id, (token, type)) in zip(vocabulary.tokens, vocabulary.tokenTypes).enumerated() {
            textBuilder.append(token.utf8)
            if isByteLevel {
                // Literal tokens are their own spelling; the others undo the GPT-2 byte map.
                if type.isMatchedLiterally {
                    algorithmBuilder.append(token.utf8)
                } else {
                    ByteLevelMapping.appendDecoded(token, to: &algorithmBuilder.bytes)
                    algorithmBuilder.endPiece()
                }
                outputBuilder.append(algorithmBuilder.bytes[algorithmBuilder.offsets[id]...])
                continue
            }
            switch type {
            case .byte:
                if let byte = Self.fallbackByte(token) {
                    outputBuilder.append(CollectionOfOne(byte))
                    if byteTokens[Int(byte)] < 0 { byteTokens[Int(byte)] = Int32(id) }
                } else {
                    outputBuilder.append(token.utf8)
                }
            case .control, .userDefined, .unknown:
                outputBuilder.append(token.utf8)
            default:
                Self.appendUnescapingSpaces(token, to: &outputBuilder.bytes)
                outputBuilder.endPiece()
            }
        }
        texts = textBuilder.finish()
        let pieces = isByteLevel ? algorithmBuilder.finish() : texts
        self.pieces = pieces
        decodedPieces = outputBuilder.finish()
        if isByteLevel {
            for byte in 0..<256 { byteTokens[byte] = Int32(pieces.id(of: [UInt8(byte)])) }
        }
        self.byteTokens = byteTokens

        merges = try MergeTable(
            merges: vocabulary.merges,
            appendPiece: { text, bytes in
                if isByteLevel { ByteLevelMapping.appendDecoded(text, to: &bytes) } else { bytes.append(contentsOf: text.utf8) }
            },
            lookup: pieces, source: source)
        specialTokens = SpecialTokenMatcher(
            tokens: vocabulary.tokens.indices.compactMap { id in
                vocabulary.tokenTypes[id].isMatchedLiterally && !vocabulary.tokens[id].isEmpty
                    ? (Array(vocabulary.tokens[id].utf8), id) : nil
            })
    }

    /// The stored text of token `id` (byte-level spelling or "▁"-escaped as in the file), or nil
    /// outside the vocabulary.
    public func tokenString(_ id: Int) -> String? {
        vocabulary.tokens.indices.contains(id) ? vocabulary.tokens[id] : nil
    }

    /// The id of the token whose stored text is exactly `token` (byte-exact), or nil.
    public func id(of token: String) -> Int? {
        let found = texts.id(of: Array(token.utf8))
        return found >= 0 ? found : nil
    }

    /// The type of token `id`, or nil outside the vocabulary.
    public func tokenType(_ id: Int) -> TokenType? {
        vocabulary.tokenTypes.indices.contains(id) ? vocabulary.tokenTypes[id] : nil
    }

    /// "<0x1F>" → 0x1F.
    static func fallbackByte(_ token: String) -> UInt8? {
        let utf8 = Array(token.utf8)
        guard utf8.count == 6, utf8[0] == 0x3C, utf8[1] == 0x30, utf8[2] == 0x78, utf8[5] == 0x3E else { return nil }
        return UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16)
    }

    /// Appends `token`'s UTF-8 with every "▁" (E2 96 81) turned into " ".
    static func appendUnescapingSpaces(_ token: String, to bytes: inout [UInt8]) {
        var pending = 0  // how many bytes of E2 96 81 have been seen
        for byte in token.utf8 {
            switch (pending, byte) {
            case (0, 0xE2), (1, 0x96):
                pending += 1
            case (2, 0x81):
                bytes.append(0x20)
                pending = 0
            default:
                if pending > 0 { bytes.append(contentsOf: [0xE2, 0x96].prefix(pending)) }
                pending = 0
                if byte == 0xE2 { pending = 1 } else { bytes.append(byte) }
            }
        }
        if pending > 0 { bytes.append(contentsOf: [0xE2, 0x96].prefix(pending)) }
    }
}

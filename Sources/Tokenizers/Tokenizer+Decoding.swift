extension Tokenizer {
    /// The text of `ids`: byte-level tokens are mapped back to bytes, "▁" becomes a space,
    /// `<0xNN>` tokens become their byte, and invalid UTF-8 becomes U+FFFD.
    ///
    /// - Parameters:
    ///   - skipSpecialTokens: leave out control tokens (BOS, EOS, chat markers).
    ///     User-defined tokens are always written.
    /// With a space-prefix rule, the space that encoding put in front is removed again.
    /// Ids outside the vocabulary are skipped.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        var atStart = true
        for id in ids where id >= 0 && id < vocabularySize {
            let type = vocabulary.tokenTypes[id]
            if skipSpecialTokens && type == .control { continue }
            let piece = decodedPieces.piece(id)
            if atStart && vocabulary.spacePrefix != .never && !type.isMatchedLiterally && piece.first == 0x20 {
                bytes.append(contentsOf: piece.dropFirst())
            } else {
                bytes.append(contentsOf: piece)
            }
            atStart = false
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

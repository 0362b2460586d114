// The byte-level tokenizer of the tiny llama checkpoint (../shared/reference/tiny/llama, V 384),
// built here: shared by the method tests and the torch backend's method-parity tests.
import Tokenizers

public enum TinyTokenizer {
    /// GPT-2 byte-level BPE over the checkpoint's 384 ids: 0 <unk>, 1 <s> (BOS, added), 2 </s>
    /// (EOS), 3...258 the 256 bytes, 259...383 merges (a space before a letter or digit, "Q:",
    /// "A:", "\n\n", pairs of frequent letters), so that every id the model can emit decodes.
    public static func make() throws -> Tokenizer {
        let byteCharacters = gpt2ByteCharacters()
        var tokens = ["<unk>", "<s>", "</s>"] + byteCharacters
        var merges = [TokenMerge]()
        func merge(_ left: String, _ right: String) {
            merges.append(TokenMerge(left: left, right: right))
            tokens.append(left + right)
        }
        let space = byteCharacters[0x20], newline = byteCharacters[0x0A]
        for scalar in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" { merge(space, String(scalar)) }
        merge("Q", ":")
        merge("A", ":")
        merge(newline, newline)
        let frequent = Array("etaoinshr").map(String.init)
        for left in frequent {
            for right in frequent where tokens.count < 384 { merge(left, right) }
        }
        precondition(tokens.count == 384, "tiny tokenizer: \(tokens.count) tokens for 384 ids")
        let types = tokens.indices.map { $0 < 3 ? TokenType.control : TokenType.normal }
        return try Tokenizer(vocabulary: TokenizerVocabulary(
            model: .byteLevelBPE(.gpt2), tokens: tokens, tokenTypes: types, merges: merges, bosTokenId: 1, eosTokenId: 2,
            unknownTokenId: 0, addsBOS: true, source: "tiny test tokenizer"))
    }

    /// GPT-2's printable stand-in for each byte (its `bytes_to_unicode`).
    public static func gpt2ByteCharacters() -> [String] {
        let printable = Array(33...126) + Array(161...172) + Array(174...255)
        var extra = 0
        return (0..<256).map { byte in
            if printable.contains(byte) { return String(UnicodeScalar(UInt8(byte))) }
            extra += 1
            return String(Character(UnicodeScalar(255 + extra)!))
        }
    }
}
